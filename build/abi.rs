//! The machine-readable description of the C ABI (`include/zizq.abi.json`,
//! also returned by `zizq_abi_description()`), read from the sources with
//! syn: every `.rs` file under `src/` is searched, and items are found by
//! name or by shape, never by file, so that modules can move.
//!
//! It holds the statuses (the `zizq_status` enum and the `status_table!`
//! rows), the C enums, the `#[repr(C)]` structs' fields in order, the opaque
//! handle types, the callback types, every exported function's signature in
//! C types, the `ZIZQ_*` integer constants, the keys of the option documents
//! (the serde structs named in `OPTION_DOCS`, renames honoured) and the
//! worker's stats keys (struct `WorkerStats`). A shape the reader does not
//! know stops the build rather than describe the ABI wrongly.

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use syn::ext::IdentExt;
use syn::{Attribute, Expr, Fields, Item, Lit, Type};

/// Option documents: the description's name and the serde struct's.
const OPTION_DOCS: &[(&str, &str)] = &[
    ("client", "ClientOptionsDoc"),
    ("tls", "TlsOptionsDoc"),
    ("take", "TakeOptionsDoc"),
    ("worker", "WorkerOptionsDoc"),
    ("completion_queue", "CompletionQueueOptionsDoc"),
];
/// Exports that report errors yet never wait: they queue work or read local
/// state. Every other export that takes a `zizq_error **` or a timeout may
/// wait (on the server, a timeout or another thread), and the description
/// says so (`"waits": true`): the shims release their interpreter's lock
/// around those calls only, since releasing it costs a thread switch.
const AT_ONCE: &[&str] = &[
    "zizq_worker_ack",
    "zizq_worker_nack",
    "zizq_worker_stats",
    "zizq_client_stats",
];
/// The struct serialized by `zizq_worker_stats`.
const STATS: &str = "WorkerStats";
/// The struct serialized by `zizq_client_stats`.
const CLIENT_STATS: &str = "ClientStats";

#[derive(Default)]
struct Found {
    status_enum: Vec<(String, i64)>,
    status_rows: Vec<(String, String, String, String)>,
    enums: Map<String, Value>,
    structs: Map<String, Value>,
    opaque: Vec<String>,
    callbacks: Map<String, Value>,
    functions: BTreeMap<String, Value>,
    constants: Map<String, Value>,
    named: BTreeMap<String, Vec<String>>,
}

/// The description of the ABI of the crate at `dir`, as pretty JSON.
pub fn describe(dir: &Path) -> String {
    let mut found = Found::default();
    for file in rust_files(&dir.join("src")) {
        let text = std::fs::read_to_string(&file).expect("source is readable");
        let ast = syn::parse_file(&text)
            .unwrap_or_else(|e| panic!("{}: cannot parse: {e}", file.display()));
        visit(&ast.items, &mut found);
    }
    for name in AT_ONCE {
        assert!(
            found.functions.contains_key(*name),
            "AT_ONCE names `{name}`, which is not an export"
        );
    }
    let statuses = statuses(&found);
    let named = |name: &str| -> Value {
        let keys = found
            .named
            .get(name)
            .unwrap_or_else(|| panic!("no struct `{name}` under src/"));
        json!(keys)
    };
    let options: Map<String, Value> = OPTION_DOCS
        .iter()
        .map(|(doc, name)| (doc.to_string(), named(name)))
        .collect();
    found.opaque.sort();
    let description = json!({
        "abi_version": found.constants.get("ZIZQ_ABI_VERSION").expect("ZIZQ_ABI_VERSION is set"),
        "version": std::env::var("CARGO_PKG_VERSION").unwrap(),
        "statuses": statuses,
        "enums": found.enums,
        "structs": found.structs,
        "opaque": found.opaque,
        "callbacks": found.callbacks,
        "functions": found.functions.into_values().collect::<Vec<_>>(),
        "constants": found.constants,
        "options": options,
        "worker_stats": named(STATS),
        "client_stats": named(CLIENT_STATS),
    });
    let mut text = serde_json::to_string_pretty(&description).expect("JSON");
    text.push('\n');
    text
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("src/ is readable")
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    let mut files = Vec::new();
    for path in entries {
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

fn visit(items: &[Item], found: &mut Found) {
    for item in items {
        match item {
            Item::Mod(m) => {
                // Test modules describe nothing of the ABI.
                if let (Some((_, inner)), false) = (&m.content, is_cfg_test(&m.attrs)) {
                    visit(inner, found);
                }
            }
            Item::Enum(e) if e.ident == "zizq_status" => {
                for v in &e.variants {
                    let value = v
                        .discriminant
                        .as_ref()
                        .map(|(_, expr)| int(expr))
                        .expect("every zizq_status has an explicit value");
                    found.status_enum.push((v.ident.to_string(), value));
                }
            }
            Item::Enum(e) if e.ident.to_string().starts_with("zizq_") && is_repr_c(&e.attrs) => {
                let variants: Map<String, Value> = e
                    .variants
                    .iter()
                    .map(|v| {
                        let (_, expr) = v.discriminant.as_ref().expect("C enums set values");
                        (v.ident.to_string(), json!(int(expr)))
                    })
                    .collect();
                found.enums.insert(e.ident.to_string(), variants.into());
            }
            Item::Macro(m) if m.mac.path.is_ident("status_table") => {
                found.status_rows = status_rows(&m.mac);
            }
            Item::Struct(s) if s.ident.to_string().starts_with("zizq_") => {
                let name = s.ident.to_string();
                if is_repr_c(&s.attrs) {
                    let Fields::Named(fields) = &s.fields else {
                        panic!("{name}: a C struct has named fields");
                    };
                    let fields: Vec<Value> = fields
                        .named
                        .iter()
                        .map(|f| {
                            let field = f.ident.as_ref().expect("named").unraw().to_string();
                            json!({"name": field, "type": c_type(&f.ty)})
                        })
                        .collect();
                    found.structs.insert(name, fields.into());
                } else if matches!(s.vis, syn::Visibility::Public(_)) {
                    found.opaque.push(name);
                }
            }
            Item::Struct(s) if is_named_doc(&s.ident.to_string()) => {
                found.named.insert(s.ident.to_string(), serde_keys(s));
            }
            Item::Type(t) if t.ident.to_string().starts_with("zizq_") => {
                found
                    .callbacks
                    .insert(t.ident.to_string(), callback(&t.ident.to_string(), &t.ty));
            }
            Item::Const(c) if c.ident.to_string().starts_with("ZIZQ_") => {
                found
                    .constants
                    .insert(c.ident.to_string(), json!(int(&c.expr)));
            }
            Item::Fn(f) if is_export(f) => {
                let name = f.sig.ident.to_string();
                let args: Vec<Value> = f
                    .sig
                    .inputs
                    .iter()
                    .map(|arg| match arg {
                        syn::FnArg::Typed(t) => {
                            let syn::Pat::Ident(id) = &*t.pat else {
                                panic!("{name}: arguments are plain names");
                            };
                            json!({"name": id.ident.to_string(), "type": c_type(&t.ty)})
                        }
                        syn::FnArg::Receiver(_) => panic!("{name}: an export takes no self"),
                    })
                    .collect();
                let returns = match &f.sig.output {
                    syn::ReturnType::Default => "void".to_string(),
                    syn::ReturnType::Type(_, ty) => c_type(ty),
                };
                let waits = !AT_ONCE.contains(&name.as_str())
                    && args.iter().any(|a| {
                        a["type"] == "zizq_error **"
                            || a["name"].as_str().is_some_and(|n| n.contains("timeout"))
                    });
                let value = json!({"name": name, "returns": returns, "args": args, "waits": waits});
                found.functions.insert(name, value);
            }
            _ => {}
        }
    }
}

fn is_named_doc(name: &str) -> bool {
    name == STATS || name == CLIENT_STATS || OPTION_DOCS.iter().any(|(_, s)| *s == name)
}

fn is_cfg_test(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg") && a.parse_args::<syn::Ident>().is_ok_and(|i| i == "test")
    })
}

fn is_repr_c(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .any(|a| a.path().is_ident("repr") && a.parse_args::<syn::Ident>().is_ok_and(|i| i == "C"))
}

/// `#[no_mangle] pub [unsafe] extern "C" fn zizq_...`
fn is_export(f: &syn::ItemFn) -> bool {
    let no_mangle = f.attrs.iter().any(|a| a.path().is_ident("no_mangle"));
    let extern_c = f
        .sig
        .abi
        .as_ref()
        .is_some_and(|abi| abi.name.as_ref().is_none_or(|n| n.value() == "C"));
    no_mangle && extern_c && matches!(f.vis, syn::Visibility::Public(_))
}

/// The keys a serde struct reads or writes: field names, or their
/// `#[serde(rename = "...")]`.
fn serde_keys(s: &syn::ItemStruct) -> Vec<String> {
    let Fields::Named(fields) = &s.fields else {
        panic!("{}: a document struct has named fields", s.ident);
    };
    for attr in s.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename_all") {
                panic!("{}: rename_all is not read by build/abi.rs", s.ident);
            }
            Ok(())
        });
    }
    fields
        .named
        .iter()
        .map(|f| {
            let mut key = f.ident.as_ref().expect("named").unraw().to_string();
            for attr in f.attrs.iter().filter(|a| a.path().is_ident("serde")) {
                let _ = attr.parse_nested_meta(|meta| {
                    if meta.path.is_ident("rename") {
                        let lit: syn::LitStr = meta.value()?.parse()?;
                        key = lit.value();
                    } else if meta.path.is_ident("flatten") || meta.path.is_ident("skip") {
                        panic!("{}: flatten/skip are not read by build/abi.rs", s.ident);
                    }
                    Ok(())
                });
            }
            key
        })
        .collect()
}

/// The rows of `status_table! { NAME => "description", Transience, Category; ... }`.
fn status_rows(mac: &syn::Macro) -> Vec<(String, String, String, String)> {
    let parser = |input: syn::parse::ParseStream| {
        let mut rows = Vec::new();
        while !input.is_empty() {
            let name: syn::Ident = input.parse()?;
            input.parse::<syn::Token![=>]>()?;
            let description: syn::LitStr = input.parse()?;
            input.parse::<syn::Token![,]>()?;
            let transience: syn::Ident = input.parse()?;
            input.parse::<syn::Token![,]>()?;
            let category: syn::Ident = input.parse()?;
            input.parse::<syn::Token![;]>()?;
            rows.push((
                name.to_string(),
                description.value(),
                snake(&transience.to_string()),
                snake(&category.to_string()),
            ));
        }
        Ok(rows)
    };
    mac.parse_body_with(parser).expect("status_table! rows")
}

fn statuses(found: &Found) -> Vec<Value> {
    let rows: BTreeMap<&str, _> = found
        .status_rows
        .iter()
        .map(|(name, d, t, c)| (name.as_str(), (d, t, c)))
        .collect();
    assert_eq!(
        rows.len(),
        found.status_enum.len(),
        "status_table! covers zizq_status"
    );
    found
        .status_enum
        .iter()
        .map(|(name, value)| {
            let (description, transience, category) = rows
                .get(name.as_str())
                .unwrap_or_else(|| panic!("{name} has no status_table! row"));
            json!({
                "name": name,
                "value": value,
                "description": description,
                "category": category,
                "transience": transience,
                // A retry could help, before the HTTP status and an unknown
                // outcome are weighed (`Error::retryable`).
                "retryable": *transience != "permanent",
            })
        })
        .collect()
}

/// `UnlessRefused` -> `unless_refused`.
fn snake(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// An integer constant expression: literals, `*`, `+`, `<<`, parentheses.
fn int(expr: &Expr) -> i64 {
    match expr {
        Expr::Lit(l) => match &l.lit {
            Lit::Int(i) => i.base10_parse().expect("integer literal"),
            _ => panic!("constant is not an integer"),
        },
        Expr::Paren(p) => int(&p.expr),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => -int(&u.expr),
        Expr::Binary(b) => {
            let (l, r) = (int(&b.left), int(&b.right));
            match b.op {
                syn::BinOp::Mul(_) => l * r,
                syn::BinOp::Add(_) => l + r,
                syn::BinOp::Shl(_) => l << r,
                _ => panic!("unsupported operator in a constant"),
            }
        }
        _ => panic!("unsupported constant expression"),
    }
}

/// A `type zizq_on_x = Option<unsafe extern "C" fn(...) -> ...>`.
fn callback(name: &str, ty: &Type) -> Value {
    let Some(Type::BareFn(f)) = option_inner(ty) else {
        panic!("{name}: callback types are Option<extern \"C\" fn>");
    };
    let args: Vec<Value> = f
        .inputs
        .iter()
        .map(|a| {
            let arg = a.name.as_ref().map(|(n, _)| n.to_string());
            json!({"name": arg, "type": c_type(&a.ty)})
        })
        .collect();
    let returns = match &f.output {
        syn::ReturnType::Default => "void".to_string(),
        syn::ReturnType::Type(_, t) => c_type(t),
    };
    json!({"returns": returns, "args": args, "nullable": true})
}

fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    }
}

/// The C spelling of a Rust FFI type, as cbindgen writes it.
fn c_type(ty: &Type) -> String {
    match ty {
        Type::Ptr(p) => {
            let inner = c_type(&p.elem);
            let is_const = p.const_token.is_some();
            match (inner.ends_with('*'), is_const) {
                (true, true) => format!("{inner}const *"),
                (true, false) => format!("{inner}*"),
                (false, true) => format!("const {inner} *"),
                (false, false) => format!("{inner} *"),
            }
        }
        Type::Tuple(t) if t.elems.is_empty() => "void".into(),
        Type::Path(p) => {
            let ident = p
                .path
                .segments
                .last()
                .expect("a type name")
                .ident
                .to_string();
            let c = match ident.as_str() {
                "u8" => "uint8_t",
                "u16" => "uint16_t",
                "u32" => "uint32_t",
                "u64" => "uint64_t",
                "i8" => "int8_t",
                "i16" => "int16_t",
                "i32" => "int32_t",
                "i64" => "int64_t",
                "usize" => "size_t",
                "isize" => "ptrdiff_t",
                "bool" => "bool",
                "f64" => "double",
                "c_char" => "char",
                "c_int" => "int",
                "c_void" => "void",
                name if name.starts_with("zizq_") => name,
                other => panic!("type `{other}` has no C spelling known to build/abi.rs"),
            };
            c.into()
        }
        _ => panic!("a type with no C spelling known to build/abi.rs"),
    }
}
