//! `zizq_doc_transcode`: byte 0 picks the formats. What transcodes decodes
//! in the target format to the same document; what decodes transcodes; the
//! same format is copied unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zizq::codec::{self, Format};
use zizq::error::Status;
use zizq::ffi::client::zizq_format;
use zizq::ffi::doc::zizq_doc_transcode;
use zizq::ffi::error::zizq_error_free;
use zizq::ffi::{zizq_buf, zizq_buf_free};

fn format(bit: u8) -> Format {
    if bit & 1 == 0 {
        Format::Json
    } else {
        Format::Msgpack
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, doc)) = data.split_first() else {
        return;
    };
    let (from, to) = (format(flags), format(flags >> 1));
    let mut out = zizq_buf {
        data: std::ptr::null_mut(),
        len: 0,
        cap: 0,
    };
    let mut err = std::ptr::null_mut();
    let status = unsafe {
        zizq_doc_transcode(
            zizq_format::from(from) as i32,
            zizq_format::from(to) as i32,
            doc.as_ptr(),
            doc.len(),
            &mut out,
            &mut err,
        )
    };
    let decoded = codec::decode(from, doc);
    if status != Status::ZIZQ_OK {
        assert_eq!(status, Status::ZIZQ_E_DECODE);
        assert!(decoded.is_err(), "a decodable document failed to transcode");
        unsafe { zizq_error_free(err) };
        return;
    }
    let bytes = if out.len == 0 {
        Vec::new()
    } else {
        unsafe { std::slice::from_raw_parts(out.data, out.len) }.to_vec()
    };
    unsafe { zizq_buf_free(&mut out) };
    assert!(
        out.data.is_null() && out.len == 0,
        "freed buffers are reset"
    );
    if from == to {
        assert_eq!(bytes, doc, "same format: copied unchanged");
        return;
    }
    let back = codec::decode(to, &bytes).expect("the transcoded document decodes");
    let original = decoded.expect("what transcodes decodes");
    assert_eq!(back, original, "transcoding changed the document");
});
