//! Regenerates `include/zizq.h` from `src/ffi` with cbindgen whenever the
//! C ABI changes, and restricts the shared library's exports to `zizq_*`.
//! `make check-header` fails when the committed header is stale.

use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=src/error.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=include/preamble.h");
    println!("cargo:rerun-if-changed=zizq.map");

    // Only the C API is exported from libzizq.so.
    let map = dir.join("zizq.map");
    println!(
        "cargo:rustc-cdylib-link-arg=-Wl,--version-script={}",
        map.display()
    );
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libzizq.so");

    let mut config =
        cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml is readable");
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
    let target = dir.join("include/zizq.h");
    if std::fs::read(&target).ok().as_deref() != Some(&header[..]) {
        std::fs::write(&target, header).expect("include/zizq.h is writable");
    }
}
