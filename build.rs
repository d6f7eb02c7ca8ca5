//! Regenerates `include/zizq.h` from `src/ffi` with cbindgen whenever the
//! C ABI changes, restricts the shared library's exports to `zizq_*` and
//! gives it the SONAME `libzizq.so.MAJOR`. The header's version macros come
//! from the Cargo version (the one place it is set). `make check-header`
//! fails when the committed header is stale. The header is grouped into
//! sections, one per file of `src/ffi` (see `build/sections.rs`). It also writes the ABI's
//! machine-readable description, `include/zizq.abi.json` (see `build/abi.rs`),
//! which the library returns from `zizq_abi_description()`.

#[path = "build/abi.rs"]
mod abi;
#[path = "build/sections.rs"]
mod sections;

use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    // The description reads option and stats structs wherever they live.
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=build/abi.rs");
    println!("cargo:rerun-if-changed=build/sections.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=include/preamble.h");
    println!("cargo:rerun-if-changed=zizq.map");

    // Only the C API is exported from libzizq.so.
    let map = dir.join("zizq.map");
    println!(
        "cargo:rustc-cdylib-link-arg=-Wl,--version-script={}",
        map.display()
    );
    // Programs linked against libzizq.so record this name and load
    // libzizq.so.MAJOR at run time (`make install` creates the links).
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap();
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libzizq.so.{major}");

    write_if_changed(
        &dir.join("include/zizq.abi.json"),
        abi::describe(&dir).as_bytes(),
    );

    let mut config =
        cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml is readable");
    config.after_includes = Some(version_macros());
    config.header = Some(
        std::fs::read_to_string(dir.join("include/preamble.h"))
            .expect("include/preamble.h is readable"),
    );
    let header = match cbindgen::Builder::new()
        .with_crate(&dir)
        .with_config(config)
        .generate()
    {
        Ok(bindings) => {
            let mut out = Vec::new();
            bindings.write(&mut out);
            out
        }
        Err(e) => {
            println!("cargo:warning=cbindgen failed: {e}");
            return;
        }
    };
    let header = String::from_utf8(header).expect("cbindgen writes UTF-8");
    let header = sections::add(&header, &dir.join("src/ffi"));
    write_if_changed(&dir.join("include/zizq.h"), header.as_bytes());
}

/// Write `bytes` to `path` unless it holds them already (an unchanged file
/// keeps its time, so nothing that depends on it rebuilds).
fn write_if_changed(path: &std::path::Path, bytes: &[u8]) {
    if std::fs::read(path).ok().as_deref() != Some(bytes) {
        std::fs::write(path, bytes)
            .unwrap_or_else(|e| panic!("{} is not writable: {e}", path.display()));
    }
}

/// The `ZIZQ_VERSION*` macros of the header, from the crate's version.
fn version_macros() -> String {
    let part = |name: &str| std::env::var(format!("CARGO_PKG_VERSION_{name}")).unwrap();
    format!(
        "\n#define ZIZQ_VERSION_MAJOR {}\n#define ZIZQ_VERSION_MINOR {}\n#define ZIZQ_VERSION_PATCH {}\n\
         \n// The version of libzizq this header belongs to; `zizq_version()`\n\
         // reports the loaded library's.\n#define ZIZQ_VERSION \"{}\"\n",
        part("MAJOR"),
        part("MINOR"),
        part("PATCH"),
        std::env::var("CARGO_PKG_VERSION").unwrap()
    )
}
