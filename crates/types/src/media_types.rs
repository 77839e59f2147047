//! The MIME types a XOR-URL can name in its content-type field, and their codes.
//!
//! The code of a type is the start of its top-level type's range plus its index in that range's
//! list. The lists are part of the XOR-URL format of sn_api (0.66-0.82): they must not be
//! reordered, only appended to, or URLs made earlier would change meaning.

/// (first code of the range, subtypes in code order)
const RANGES: [(u16, &[&str]); 7] = [
    (0x5000, &APPLICATION),
    (0x8000, &AUDIO),
    (0x9000, &FONT),
    (0xa000, &IMAGE),
    (0xd000, &MULTIPART),
    (0xe000, &TEXT),
    (0xf000, &VIDEO),
];

const APPLICATION: [&str; 38] = [
    "application/x-abiword",
    "application/octet-stream",
    "application/vnd.amazon.ebook",
    "application/x-bzip",
    "application/x-bzip2",
    "application/x-csh",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-fontobject",
    "application/epub+zip",
    "application/ecmascript",
    "application/java-archive",
    "application/javascript",
    "application/json",
    "application/vnd.apple.installer+xml",
    "application/vnd.oasis.opendocument.presentation",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.text",
    "application/ogg",
    "application/pdf",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/x-rar-compressed",
    "application/rtf",
    "application/x-sh",
    "application/x-shockwave-flash",
    "application/x-tar",
    "application/typescript",
    "application/vnd.visio",
    "application/xhtml+xml",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/xml",
    "application/vnd.mozilla.xul+xml",
    "application/zip",
    "application/x-7z-compressed",
    "application/ld+json",
    "application/rdf+xml",
];

const AUDIO: [&str; 10] = [
    "audio/aac",
    "audio/midi",
    "audio/x-midi",
    "audio/ogg",
    "audio/wav",
    "audio/webm",
    "audio/3gpp",
    "audio/3gpp2",
    "audio/mp4",
    "audio/mpeg",
];

const FONT: [&str; 4] = ["font/otf", "font/ttf", "font/woff", "font/woff2"];

const IMAGE: [&str; 8] = [
    "image/bmp",
    "image/gif",
    "image/x-icon",
    "image/jpeg",
    "image/png",
    "image/svg+xml",
    "image/tiff",
    "image/webp",
];

const MULTIPART: [&str; 1] = ["multipart/byteranges"];

const TEXT: [&str; 10] = [
    "text/css",
    "text/csv",
    "text/html",
    "text/calendar",
    "text/markdown",
    "text/n3",
    "text/plain",
    "text/turtle",
    "text/x-markdown",
    "text/xml",
];

const VIDEO: [&str; 8] = [
    "video/x-msvideo",
    "video/mpeg",
    "video/ogg",
    "video/webm",
    "video/3gpp",
    "video/3gpp2",
    "video/jpeg",
    "video/mp4",
];

/// The code of a MIME type, if the format knows it.
pub(crate) fn code_of(media_type: &str) -> Option<u16> {
    RANGES.iter().find_map(|(start, list)| {
        let index = list.iter().position(|t| *t == media_type)?;
        u16::try_from(index).ok().map(|i| start + i)
    })
}

/// The MIME type of a code, if the code names one.
pub(crate) fn media_type_of(code: u16) -> Option<&'static str> {
    RANGES.iter().find_map(|(start, list)| {
        let index = code.checked_sub(*start)?;
        list.get(usize::from(index)).copied()
    })
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
        for (start, list) in RANGES {
            for (i, t) in list.iter().enumerate() {
                let code = start + u16::try_from(i).expect("short list");
                assert_eq!(code_of(t), Some(code));
                assert_eq!(media_type_of(code), Some(*t));
            }
        }
    }
}
