//! Name rules for queue, type, cron group and cron entry names (§3.2).

/// Validate a name; `field` is used as the message prefix.
pub fn check_name(field: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("{field} must not be empty"));
    }
    if value.contains(',') {
        return Err(format!("{field} must not contain ','"));
    }
    if value.contains('\0') {
        return Err(format!("{field} must not contain null bytes"));
    }
    if let Some(c) = value
        .chars()
        .find(|c| matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\'))
    {
        return Err(format!("{field} must not contain '{c}' (reserved)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_name;

    #[test]
    fn rules_in_order() {
        assert_eq!(
            check_name("queue", ""),
            Err("queue must not be empty".into())
        );
        assert_eq!(
            check_name("queue", "a,*"),
            Err("queue must not contain ','".into())
        );
        assert_eq!(
            check_name("type", "a\0"),
            Err("type must not contain null bytes".into())
        );
        assert_eq!(
            check_name("type", "a{b*"),
            Err("type must not contain '{' (reserved)".into())
        );
        assert!(check_name("queue", "a b/c.d:é").is_ok());
    }
}
