//! Groups the generated header into sections a C programmer can scan: each
//! file of `src/ffi` is one section, titled by its `//! Header section:`
//! line, and a contents list after the preamble names every section's
//! functions, followed by a banner over the types and constants. cbindgen
//! writes constants and types first, then functions in source order, file
//! by file, so a banner goes before the first function of each file.

use std::path::Path;

/// One file of `src/ffi`: its title and the functions it exports.
struct Section {
    title: String,
    functions: Vec<String>,
}

/// The header with section banners and a contents list inserted.
pub fn add(header: &str, ffi_dir: &Path) -> String {
    let mut sections = read_sections(ffi_dir);
    // In the header's order: where each section's first function is declared.
    let mut placed: Vec<(usize, Section)> = sections
        .drain(..)
        .filter_map(|s| {
            let first = s
                .functions
                .iter()
                .filter_map(|f| declaration(header, f))
                .min()?;
            Some((doc_start(header, first), s))
        })
        .collect();
    placed.sort_by_key(|(at, _)| *at);

    // The contents go after the version macros, which open the header.
    let version = header
        .find("#define ZIZQ_VERSION \"")
        .expect("the header defines ZIZQ_VERSION");
    let types = version + header[version..].find('\n').map_or(0, |n| n + 1);

    let mut out = String::with_capacity(header.len() + 8192);
    out.push_str(&header[..types]);
    out.push('\n');
    out.push_str(&contents(&placed));
    out.push_str(&banner("Types and constants"));
    let blank = header[types..].len() - header[types..].trim_start_matches('\n').len();
    let mut copied = types + blank;
    for (at, section) in &placed {
        out.push_str(&header[copied..*at]);
        out.push_str(&banner(&section.title));
        copied = *at;
    }
    out.push_str(&header[copied..]);
    out
}

fn read_sections(ffi_dir: &Path) -> Vec<Section> {
    let mut files: Vec<_> = std::fs::read_dir(ffi_dir)
        .expect("src/ffi is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).expect("src/ffi files are readable");
            let title = text
                .lines()
                .find_map(|l| l.strip_prefix("//! Header section:"))
                .map(|l| l.trim().trim_end_matches('.').to_string())
                .unwrap_or_else(|| panic!("{} has no `//! Header section:` line", path.display()));
            let functions = text
                .lines()
                .filter_map(|l| {
                    let rest = l
                        .strip_prefix("pub unsafe extern \"C\" fn ")
                        .or_else(|| l.strip_prefix("pub extern \"C\" fn "))?;
                    Some(rest.split('(').next()?.to_string())
                })
                .collect();
            Section { title, functions }
        })
        .filter(|s| !s.functions.is_empty())
        .collect()
}

/// Where the declaration of `function` starts: the line that names it
/// with its argument list.
fn declaration(header: &str, function: &str) -> Option<usize> {
    let needle = format!(" {function}(");
    let mut from = 0;
    while let Some(found) = header[from..].find(&needle) {
        let at = from + found;
        let line_start = header[..at].rfind('\n').map_or(0, |n| n + 1);
        if !header[line_start..at].trim_start().starts_with("//") {
            return Some(line_start);
        }
        from = at + needle.len();
    }
    None
}

/// The start of the comment block right above the line at `line_start`.
fn doc_start(header: &str, line_start: usize) -> usize {
    let mut start = line_start;
    while start > 0 {
        let prev = header[..start - 1].rfind('\n').map_or(0, |n| n + 1);
        if !header[prev..start].trim_start().starts_with("//") {
            break;
        }
        start = prev;
    }
    start
}

fn banner(title: &str) -> String {
    let rule = "=".repeat(74);
    format!("/* {rule}\n * {title}\n * {rule} */\n\n")
}

fn contents(sections: &[(usize, Section)]) -> String {
    let mut out = String::from("/*\n * CONTENTS\n");
    for (_, section) in sections {
        out.push_str(&format!(" *\n * {}\n", section.title));
        let mut line = String::from(" *  ");
        for f in &section.functions {
            if line.len() + f.len() + 1 > 78 {
                out.push_str(line.trim_end());
                out.push('\n');
                line = String::from(" *  ");
            }
            line.push(' ');
            line.push_str(f);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push_str(" */\n\n");
    out
}
