//! `seek` (and `zizq_doc_get_*` over it): input is `flags path \0 document`.
//! A document that decodes is always searchable; the value and the length
//! found at a path agree with each other and with the exported getters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::ffi::CString;
use zizq::codec::{self, Format};
use zizq::error::Status;
use zizq::ffi::client::zizq_format;
use zizq::ffi::doc::{zizq_doc_get_int, zizq_doc_get_len, zizq_doc_get_str};
use zizq::ffi::error::zizq_error_free;
use zizq::ffi::zizq_buf_free;
use zizq::seek::{seek, Found, Want};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Some(nul) = rest.iter().position(|&b| b == 0) else {
        return;
    };
    let Ok(path) = std::str::from_utf8(&rest[..nul]) else {
        return;
    };
    let doc = &rest[nul + 1..];
    let format = if flags & 1 == 0 {
        Format::Json
    } else {
        Format::Msgpack
    };
    let value = seek(format, doc, path, Want::Value);
    let len = seek(format, doc, path, Want::Len);
    if codec::decode(format, doc).is_ok() {
        assert!(value.is_ok(), "a decodable document fails seek: {value:?}");
    }
    match (&value, &len) {
        // Counting skips what building the value checks (string UTF-8).
        (Err(_), _) => {}
        (Ok(Found::Missing), Ok(Found::Missing)) => {}
        (Ok(Found::Value(Value::Array(items))), Ok(Found::Len(n))) => assert_eq!(items.len(), *n),
        // Duplicate keys count as entries but collapse in a map value.
        (Ok(Found::Value(Value::Object(map))), Ok(Found::Len(n))) => assert!(map.len() <= *n),
        (Ok(Found::Value(_)), Ok(Found::NotContainer(_))) => {}
        other => panic!("value and length disagree: {other:?}"),
    }

    let format_arg = zizq_format::from(format) as i32;
    let c_path = CString::new(path).expect("no NUL before the separator");
    unsafe {
        let mut err = std::ptr::null_mut();
        let mut n = 0usize;
        let status = zizq_doc_get_len(
            format_arg,
            doc.as_ptr(),
            doc.len(),
            c_path.as_ptr(),
            &mut n,
            &mut err,
        );
        match &len {
            Ok(Found::Len(expected)) => assert_eq!((status, n), (Status::ZIZQ_OK, *expected)),
            Ok(Found::Missing) => assert_eq!(status, Status::ZIZQ_E_NOT_FOUND),
            Ok(Found::NotContainer(_)) => assert_eq!(status, Status::ZIZQ_E_INVALID_ARG),
            Ok(Found::Value(_)) => unreachable!(),
            Err(_) => assert_eq!(status, Status::ZIZQ_E_DECODE),
        }
        if status != Status::ZIZQ_OK {
            zizq_error_free(err);
        }

        let mut buf = zizq::ffi::zizq_buf {
            data: std::ptr::null_mut(),
            len: 0,
            cap: 0,
        };
        let status = zizq_doc_get_str(
            format_arg,
            doc.as_ptr(),
            doc.len(),
            c_path.as_ptr(),
            &mut buf,
            &mut err,
        );
        match &value {
            Ok(Found::Value(Value::String(s))) => {
                assert_eq!(status, Status::ZIZQ_OK);
                let got = if buf.len == 0 {
                    &[][..]
                } else {
                    std::slice::from_raw_parts(buf.data, buf.len)
                };
                assert_eq!(got, s.as_bytes());
                zizq_buf_free(&mut buf);
            }
            _ => {
                assert_ne!(status, Status::ZIZQ_OK);
                zizq_error_free(err);
            }
        }

        let mut int = 0i64;
        let status = zizq_doc_get_int(
            format_arg,
            doc.as_ptr(),
            doc.len(),
            c_path.as_ptr(),
            &mut int,
            &mut err,
        );
        match &value {
            Ok(Found::Value(v)) if v.as_i64().is_some() => {
                assert_eq!((status, Some(int)), (Status::ZIZQ_OK, v.as_i64()));
            }
            _ => {
                assert_ne!(status, Status::ZIZQ_OK);
                zizq_error_free(err);
            }
        }
    }
});
