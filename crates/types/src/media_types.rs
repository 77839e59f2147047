//! The MIME types a XOR-URL can name in its content-type field, and their codes.
//!
//! The table is generated at build time (`build.rs`) from `crates/types/media-types.txt`, the
//! one table the TypeScript `SafeUrl` is made from too. The codes are part of the XOR-URL format
//! of sn_api (0.66-0.82): lines are only ever appended there, or URLs made earlier would change
//! meaning.

include!(concat!(env!("OUT_DIR"), "/media_types.rs"));

/// The code of a MIME type, if the format knows it.
pub(crate) fn code_of(media_type: &str) -> Option<u16> {
    MEDIA_TYPES.iter().find(|(_, t)| *t == media_type).map(|(code, _)| *code)
}

/// The MIME type of a code, if the code names one.
pub(crate) fn media_type_of(code: u16) -> Option<&'static str> {
    let at = MEDIA_TYPES.binary_search_by_key(&code, |(c, _)| *c).ok()?;
    MEDIA_TYPES.get(at).map(|(_, t)| *t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_range_and_index() {
        assert_eq!(code_of("application/x-abiword"), Some(0x5000));
        assert_eq!(code_of("application/json"), Some(0x500d));
        assert_eq!(code_of("text/html"), Some(0xe002));
        assert_eq!(code_of("video/mp4"), Some(0xf007));
        assert_eq!(code_of("text/unknown"), None);
        assert_eq!(media_type_of(0xe002), Some("text/html"));
        assert_eq!(media_type_of(0xe00a), None);
        assert_eq!(media_type_of(4), None);
    }

    #[test]
    fn every_code_round_trips() {
        assert_eq!(MEDIA_TYPES.len(), 79);
        for (code, t) in MEDIA_TYPES {
            assert_eq!(code_of(t), Some(code));
            assert_eq!(media_type_of(code), Some(t));
        }
    }
}
