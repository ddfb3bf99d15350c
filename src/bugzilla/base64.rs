//! Standard base64 (RFC 4648) for attachment data, through the `base64` crate. Decoding is
//! lenient the way Bugzilla's encoders are not always strict: line breaks and spaces are
//! skipped and padding may be missing.

use base64::Engine as _;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::error::{Error, Result};

const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

#[must_use]
pub fn encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn decode(text: &str) -> Result<Vec<u8>> {
    let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    LENIENT
        .decode(compact)
        .map_err(|_| Error::bad_response(super::client::TRACKER, "attachment data is not valid base64"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for text in ["", "f", "fo", "foo", "foob", "fooba", "foobar", "diff --git a/x b/x\n"] {
            let encoded = encode(text.as_bytes());
            assert_eq!(decode(&encoded).expect("decode"), text.as_bytes(), "{encoded}");
        }
        assert_eq!(encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(encode(b"fo"), "Zm8=");
        assert_eq!(decode("Zm8\r\n").expect("no padding, a line break"), b"fo");
        assert!(decode("a*b").is_err());
    }
}
