//! `safe://` URLs in the XOR-URL format of sn_api 0.66-0.82.
//!
//! A URL is `safe://[sub names.]top name[/path][?query][#fragment]`. When the top name is the
//! multibase encoding (base32z `h`, base32 `b` or base64 `m`) of the bytes
//!
//! ```text
//! [0x01 encoding version][content type u16 BE][data type u8][xorname 32 bytes][type tag]
//! ```
//!
//! where the type tag is written as its big-endian bytes without leading zeros (0 to 8 bytes),
//! it is a XOR-URL: it names the data directly. Any other top name is an NRS name, whose register
//! lives at SHA3-256 of the top name with type tag 1500.
//!
//! The query is opaque except for its last `v` key: the content version, a [`VersionHash`]. A
//! `v` that is not a version hash makes the URL invalid.

use std::fmt;
use std::str::FromStr;

use multibase::Base;
use xor_name::{XorName, XOR_NAME_LEN};

use crate::media_types;
use crate::version_hash::VersionHash;

/// The only XOR-URL encoding version there is.
const ENCODING_VERSION: u8 = 1;
/// Version, content type and data type come before the xorname.
const XORNAME_OFFSET: usize = 4;
const MIN_ENCODED_LEN: usize = XORNAME_OFFSET + XOR_NAME_LEN;
const MAX_ENCODED_LEN: usize = MIN_ENCODED_LEN + 8;
const SCHEME: &str = "safe";
/// Type tag of NRS map registers.
pub(crate) const NRS_MAP_TYPE_TAG: u64 = 1500;
/// The query key that holds the content version.
const VERSION_KEY: &str = "v";

/// Why a string is not a valid `safe://` URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// The string does not start with `safe://`.
    #[error("'{0}' is not a safe:// URL: it must start with safe://")]
    Scheme(String),
    /// The host part (sub names and top name) is malformed.
    #[error("invalid name in '{url}': {reason}")]
    Name {
        /// The URL as given.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The path, query or fragment is malformed.
    #[error("invalid {part} in '{url}': {reason}")]
    Part {
        /// The URL as given.
        url: String,
        /// `path`, `query` or `fragment`.
        part: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The top name looks like a XOR-URL but does not decode to a valid one.
    #[error("invalid XOR-URL '{name}': {reason}")]
    XorUrl {
        /// The top name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A content type the XOR-URL format has no code for.
    #[error("media type '{0}' is not supported by the XOR-URL format; store it as Raw instead")]
    UnsupportedMediaType(String),
}

/// The encodings a XOR-URL's name can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum XorUrlBase {
    /// z-base-32, multibase prefix `h` (the default).
    #[default]
    Base32z,
    /// RFC 4648 base32, lower case, multibase prefix `b`.
    Base32,
    /// RFC 4648 base64 without padding, multibase prefix `m`.
    Base64,
}

impl XorUrlBase {
    fn multibase(self) -> Base {
        match self {
            Self::Base32z => Base::Base32Z,
            Self::Base32 => Base::Base32Lower,
            Self::Base64 => Base::Base64,
        }
    }

    fn from_multibase(base: Base) -> Option<Self> {
        match base {
            Base::Base32Z => Some(Self::Base32z),
            Base::Base32Lower => Some(Self::Base32),
            Base::Base64 => Some(Self::Base64),
            _ => None,
        }
    }
}

impl FromStr for XorUrlBase {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "base32z" => Ok(Self::Base32z),
            "base32" => Ok(Self::Base32),
            "base64" => Ok(Self::Base64),
            other => {
                Err(format!("unknown XOR-URL base '{other}': use 'base32z', 'base32' or 'base64'"))
            }
        }
    }
}

impl fmt::Display for XorUrlBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Base32z => "base32z",
            Self::Base32 => "base32",
            Self::Base64 => "base64",
        })
    }
}

/// What the addressed data holds, so a reader knows how to treat it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ContentType {
    /// Bytes with no declared type.
    Raw,
    /// A wallet.
    Wallet,
    /// A FilesContainer register.
    FilesContainer,
    /// An NRS map register.
    NrsMapContainer,
    /// A multimap register.
    Multimap,
    /// A file of a MIME type the format knows (see the media type list).
    MediaType(String),
}

impl ContentType {
    /// The content type for a MIME type, if the format has a code for it.
    pub fn media_type(media_type: &str) -> Result<Self, UrlError> {
        match media_types::code_of(media_type) {
            Some(_) => Ok(Self::MediaType(media_type.to_owned())),
            None => Err(UrlError::UnsupportedMediaType(media_type.to_owned())),
        }
    }

    /// The 16-bit code written into XOR-URLs.
    pub fn code(&self) -> Result<u16, UrlError> {
        Ok(match self {
            Self::Raw => 0,
            Self::Wallet => 1,
            Self::FilesContainer => 2,
            Self::NrsMapContainer => 3,
            Self::Multimap => 4,
            Self::MediaType(t) => {
                media_types::code_of(t).ok_or_else(|| UrlError::UnsupportedMediaType(t.clone()))?
            }
        })
    }

    /// The content type a code stands for.
    pub fn from_code(code: u16) -> Option<Self> {
        Some(match code {
            0 => Self::Raw,
            1 => Self::Wallet,
            2 => Self::FilesContainer,
            3 => Self::NrsMapContainer,
            4 => Self::Multimap,
            other => Self::MediaType(media_types::media_type_of(other)?.to_owned()),
        })
    }
}

impl FromStr for ContentType {
    type Err = UrlError;

    /// The inverse of `Display`: `Raw`, `Wallet`, `FilesContainer`, `NrsMapContainer`,
    /// `Multimap`, or a MIME type the format has a code for.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "Raw" => Self::Raw,
            "Wallet" => Self::Wallet,
            "FilesContainer" => Self::FilesContainer,
            "NrsMapContainer" => Self::NrsMapContainer,
            "Multimap" => Self::Multimap,
            media_type => Self::media_type(media_type)?,
        })
    }
}

impl fmt::Display for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Raw => "Raw",
            Self::Wallet => "Wallet",
            Self::FilesContainer => "FilesContainer",
            Self::NrsMapContainer => "NrsMapContainer",
            Self::Multimap => "Multimap",
            Self::MediaType(t) => t,
        })
    }
}

/// Which kind of network data the address names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DataType {
    /// A key (an account of test coins).
    SafeKey = 0,
    /// An immutable file (chunks).
    File = 1,
    /// A register.
    Register = 2,
    /// A spentbook.
    Spentbook = 3,
}

impl DataType {
    fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => Self::SafeKey,
            1 => Self::File,
            2 => Self::Register,
            3 => Self::Spentbook,
            _ => return None,
        })
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl FromStr for DataType {
    type Err = String;

    /// The inverse of `Display`: `SafeKey`, `File`, `Register` or `Spentbook`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "SafeKey" => Ok(Self::SafeKey),
            "File" => Ok(Self::File),
            "Register" => Ok(Self::Register),
            "Spentbook" => Ok(Self::Spentbook),
            other => Err(format!(
                "unknown data type '{other}': use 'SafeKey', 'File', 'Register' or 'Spentbook'"
            )),
        }
    }
}

/// A parsed `safe://` URL: either a XOR-URL or an NRS URL.
///
/// For both kinds the fields that name network data (`xorname`, `type_tag`, `content_type`,
/// `data_type`) are known: an NRS URL names the NRS map register of its top name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafeUrl {
    xorname: XorName,
    type_tag: u64,
    content_type: ContentType,
    data_type: DataType,
    /// Set for an NRS URL: the top name is a public name, not an encoding.
    nrs: bool,
    top_name: String,
    sub_names: Vec<String>,
    /// Percent-encoded, empty or starting with `/`.
    path: String,
    /// Without the `?`.
    query: String,
    /// Without the `#`.
    fragment: String,
    /// The last `v` of the query, checked; kept in step with `query`.
    content_version: Option<VersionHash>,
}

impl SafeUrl {
    /// A XOR-URL for the data at `xorname`, written in `base`, with no path.
    pub fn new_xorurl(
        xorname: XorName,
        type_tag: u64,
        content_type: ContentType,
        data_type: DataType,
        base: XorUrlBase,
    ) -> Result<Self, UrlError> {
        let top_name = encode_name(&xorname, type_tag, &content_type, data_type, base)?;
        Ok(Self {
            xorname,
            type_tag,
            content_type,
            data_type,
            nrs: false,
            top_name,
            sub_names: Vec::new(),
            path: String::new(),
            query: String::new(),
            fragment: String::new(),
            content_version: None,
        })
    }

    /// Parses a XOR-URL or an NRS URL.
    pub fn parse(url: &str) -> Result<Self, UrlError> {
        let parts = Parts::split(url)?;
        let top = parts.top_name();
        match decode_name(top) {
            Ok(decoded) => Self::from_parts(url, parts, decoded, false),
            Err(DecodeError::NotXorUrl) => {
                let decoded = Decoded {
                    xorname: XorName::from_content(top.as_bytes()),
                    type_tag: NRS_MAP_TYPE_TAG,
                    content_type: ContentType::NrsMapContainer,
                    data_type: DataType::Register,
                };
                Self::from_parts(url, parts, decoded, true)
            }
            Err(DecodeError::Invalid(reason)) => {
                Err(UrlError::XorUrl { name: top.to_owned(), reason })
            }
        }
    }

    /// Parses a URL that must be a XOR-URL; an NRS name is an error.
    pub fn parse_xorurl(url: &str) -> Result<Self, UrlError> {
        let parts = Parts::split(url)?;
        let top = parts.top_name().to_owned();
        match decode_name(&top) {
            Ok(decoded) => Self::from_parts(url, parts, decoded, false),
            Err(DecodeError::NotXorUrl) => Err(UrlError::XorUrl {
                name: top,
                reason: "it is not the multibase (base32z, base32 or base64) encoding of 36 to 44 \
                         bytes"
                    .into(),
            }),
            Err(DecodeError::Invalid(reason)) => Err(UrlError::XorUrl { name: top, reason }),
        }
    }

    fn from_parts(url: &str, parts: Parts, d: Decoded, nrs: bool) -> Result<Self, UrlError> {
        let content_version = content_version_of(&parts.query)
            .map_err(|reason| UrlError::Part { url: url.to_owned(), part: "query", reason })?;
        let mut names = parts.names;
        let top_name = names.pop().unwrap_or_default();
        Ok(Self {
            xorname: d.xorname,
            type_tag: d.type_tag,
            content_type: d.content_type,
            data_type: d.data_type,
            nrs,
            top_name,
            sub_names: names,
            path: parts.path,
            query: parts.query,
            fragment: parts.fragment,
            content_version,
        })
    }

    /// The address of the named data.
    pub fn xorname(&self) -> XorName {
        self.xorname
    }
    /// The type tag of the named data (0 for files and keys).
    pub fn type_tag(&self) -> u64 {
        self.type_tag
    }
    /// What the named data holds.
    pub fn content_type(&self) -> &ContentType {
        &self.content_type
    }
    /// Which kind of network data is named.
    pub fn data_type(&self) -> DataType {
        self.data_type
    }
    /// Whether the top name is an NRS name rather than an encoded address.
    pub fn is_nrs(&self) -> bool {
        self.nrs
    }
    /// XOR-URL encoding version (always 1).
    pub fn encoding_version(&self) -> u8 {
        ENCODING_VERSION
    }
    /// The last label of the host: `name` in `safe://a.b.name`.
    pub fn top_name(&self) -> &str {
        &self.top_name
    }
    /// The labels before the top name: `["a", "b"]` in `safe://a.b.name`.
    pub fn sub_names(&self) -> &[String] {
        &self.sub_names
    }
    /// Sub names and top name: `a.b.name` in `safe://a.b.name`.
    pub fn public_name(&self) -> String {
        join_names(&self.sub_names, &self.top_name)
    }
    /// The path, percent-encoded as written: empty or starting with `/`.
    pub fn path(&self) -> &str {
        &self.path
    }
    /// The query string without `?`.
    pub fn query(&self) -> &str {
        &self.query
    }
    /// The fragment without `#`.
    pub fn fragment(&self) -> &str {
        &self.fragment
    }

    /// Replaces the path; `path` must be percent-encoded, and gains a leading `/` if it lacks one.
    pub fn set_path(&mut self, path: &str) -> Result<(), UrlError> {
        let path = if path.is_empty() || path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        check_path(&path).map_err(|reason| UrlError::Part {
            url: self.to_string(),
            part: "path",
            reason,
        })?;
        self.path = path;
        Ok(())
    }

    /// The path percent-decoded: `/dir one/café.txt` for `/dir%20one/caf%C3%A9.txt`. A `+`
    /// stays a `+`. Fails when the decoded bytes are not UTF-8.
    pub fn path_decoded(&self) -> Result<String, UrlError> {
        String::from_utf8(percent_decode(&self.path, false)).map_err(|_| UrlError::Part {
            url: self.to_string(),
            part: "path",
            reason: "it percent-decodes to bytes that are not UTF-8".into(),
        })
    }

    /// The query's key-value pairs in order, decoded by the application/x-www-form-urlencoded
    /// rules: pairs split at `&` (empty ones skipped), key and value at the first `=`, `+` is a
    /// space, `%XX` a byte, and bytes that are not UTF-8 become U+FFFD.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        query_pieces(&self.query).map(decode_pair).collect()
    }

    /// The content version (the last `v` of the query), if the URL names one.
    pub fn content_version(&self) -> Option<VersionHash> {
        self.content_version
    }

    /// Sets or removes the content version. The first `v` pair becomes `v=<version>` (or goes,
    /// for `None`), any later `v` pairs go, and a version is appended when there was no `v`;
    /// the other pairs stay as written, in their order.
    pub fn set_content_version(&mut self, version: Option<VersionHash>) {
        let mut pieces: Vec<String> = Vec::new();
        let mut placed = false;
        for piece in query_pieces(&self.query) {
            if decode_pair(piece).0 != VERSION_KEY {
                pieces.push(piece.to_owned());
            } else if let (Some(v), false) = (version, placed) {
                pieces.push(format!("{VERSION_KEY}={v}"));
                placed = true;
            }
        }
        if let (Some(v), false) = (version, placed) {
            pieces.push(format!("{VERSION_KEY}={v}"));
        }
        self.query = pieces.join("&");
        self.content_version = version;
    }

    /// Replaces the sub names (`["a", "b"]` makes `safe://a.b.<top name>`); each must be a
    /// non-empty label without `.` or characters a name cannot hold.
    pub fn set_sub_names<S: AsRef<str>>(&mut self, sub_names: &[S]) -> Result<(), UrlError> {
        for label in sub_names {
            let label = label.as_ref();
            let reason = if label.is_empty() {
                Some("it has an empty label".to_owned())
            } else {
                label
                    .chars()
                    .find(|c| !is_name_char(*c) || *c == '.')
                    .map(|c| format!("the character {c:?} is not allowed in a name"))
            };
            if let Some(reason) = reason {
                return Err(UrlError::Name { url: self.to_string(), reason });
            }
        }
        self.sub_names = sub_names.iter().map(|l| l.as_ref().to_owned()).collect();
        Ok(())
    }

    /// The same URL with its name written as a XOR-URL in `base`, keeping sub names, path,
    /// query and fragment. For an NRS URL this names its NRS map register.
    pub fn to_xorurl(&self, base: XorUrlBase) -> String {
        // The content type of a parsed URL always has a code, so encoding cannot fail; fall
        // back to the URL as written rather than panic if that ever stops being true.
        match encode_name(&self.xorname, self.type_tag, &self.content_type, self.data_type, base) {
            Ok(top) => self.format_with_top(&top),
            Err(_) => self.to_string(),
        }
    }

    fn format_with_top(&self, top: &str) -> String {
        let mut s = format!("{SCHEME}://{}{}", join_names(&self.sub_names, top), self.path);
        if !self.query.is_empty() {
            s.push('?');
            s.push_str(&self.query);
        }
        if !self.fragment.is_empty() {
            s.push('#');
            s.push_str(&self.fragment);
        }
        s
    }
}

impl fmt::Display for SafeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format_with_top(&self.top_name))
    }
}

impl FromStr for SafeUrl {
    type Err = UrlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

fn join_names(sub_names: &[String], top: &str) -> String {
    if sub_names.is_empty() {
        top.to_owned()
    } else {
        format!("{}.{top}", sub_names.join("."))
    }
}

/// The address fields a XOR-URL name carries.
struct Decoded {
    xorname: XorName,
    type_tag: u64,
    content_type: ContentType,
    data_type: DataType,
}

enum DecodeError {
    /// Not an encoding at all (so, an NRS name).
    NotXorUrl,
    /// An encoding of the right size whose fields are wrong.
    Invalid(String),
}

fn encode_name(
    xorname: &XorName,
    type_tag: u64,
    content_type: &ContentType,
    data_type: DataType,
    base: XorUrlBase,
) -> Result<String, UrlError> {
    let mut bytes = Vec::with_capacity(MAX_ENCODED_LEN);
    bytes.push(ENCODING_VERSION);
    bytes.extend_from_slice(&content_type.code()?.to_be_bytes());
    bytes.push(data_type as u8);
    bytes.extend_from_slice(&xorname.0);
    let skip = (type_tag.leading_zeros() / 8) as usize;
    bytes.extend_from_slice(&type_tag.to_be_bytes()[skip..]);
    Ok(multibase::encode(base.multibase(), bytes))
}

fn decode_name(name: &str) -> Result<Decoded, DecodeError> {
    let Ok((base, bytes)) = multibase::decode(name) else {
        return Err(DecodeError::NotXorUrl);
    };
    if XorUrlBase::from_multibase(base).is_none()
        || !(MIN_ENCODED_LEN..=MAX_ENCODED_LEN).contains(&bytes.len())
    {
        return Err(DecodeError::NotXorUrl);
    }
    if bytes[0] != ENCODING_VERSION {
        return Err(DecodeError::Invalid(format!(
            "encoding version {} is not supported (only {ENCODING_VERSION})",
            bytes[0]
        )));
    }
    let code = u16::from_be_bytes([bytes[1], bytes[2]]);
    let content_type = ContentType::from_code(code)
        .ok_or_else(|| DecodeError::Invalid(format!("unknown content type code {code:#06x}")))?;
    let data_type = DataType::from_code(bytes[3])
        .ok_or_else(|| DecodeError::Invalid(format!("unknown data type code {}", bytes[3])))?;
    let mut xorname = XorName::default();
    xorname.0.copy_from_slice(&bytes[XORNAME_OFFSET..MIN_ENCODED_LEN]);
    let tag = &bytes[MIN_ENCODED_LEN..];
    let mut tag_bytes = [0u8; 8];
    tag_bytes[8 - tag.len()..].copy_from_slice(tag);
    Ok(Decoded { xorname, type_tag: u64::from_be_bytes(tag_bytes), content_type, data_type })
}

/// A URL split into its parts and checked, before the top name is interpreted.
struct Parts {
    names: Vec<String>,
    path: String,
    query: String,
    fragment: String,
}

impl Parts {
    fn split(url: &str) -> Result<Self, UrlError> {
        let rest = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case(SCHEME) => rest,
            _ => return Err(UrlError::Scheme(url.to_owned())),
        };
        let (before_fragment, fragment) = rest.split_once('#').unwrap_or((rest, ""));
        let (before_query, query) =
            before_fragment.split_once('?').unwrap_or((before_fragment, ""));
        let (host, path) = split_host(before_query);
        let name_err = |reason: String| UrlError::Name { url: url.to_owned(), reason };
        if host.is_empty() {
            return Err(name_err("the name is empty".into()));
        }
        let mut names = Vec::new();
        for label in host.split('.') {
            if label.is_empty() {
                return Err(name_err(
                    "it has an empty label (two dots, or a dot at an end)".into(),
                ));
            }
            // A '/' can only be in the host when split_host found a base64 XOR-URL there.
            if let Some(c) = label.chars().find(|c| !is_name_char(*c) && *c != '/') {
                return Err(name_err(format!("the character {c:?} is not allowed in a name")));
            }
            names.push(label.to_owned());
        }
        let part_err = |part, reason| UrlError::Part { url: url.to_owned(), part, reason };
        check_path(path).map_err(|r| part_err("path", r))?;
        check_component(query).map_err(|r| part_err("query", r))?;
        check_component(fragment).map_err(|r| part_err("fragment", r))?;
        Ok(Self {
            names,
            path: path.to_owned(),
            query: query.to_owned(),
            fragment: fragment.to_owned(),
        })
    }

    fn top_name(&self) -> &str {
        self.names.last().map(String::as_str).unwrap_or_default()
    }
}

/// Splits `host[/path]` where the host ends: at the first `/`, except that a base64 XOR-URL name
/// may itself contain `/`. Such a name is recognised by its length (a whole encoding of 36 to 44
/// bytes, followed by the end or a `/`) and by decoding to a valid XOR-URL; when several lengths
/// fit, the shortest wins, so a path is never swallowed into a name it could be split from.
///
/// A fit whose remaining path holds `//` (never a valid path) is passed over for a longer one:
/// that is how a name whose type tag encodes to a run of `/` (such as tag 2^64-1) is read whole.
/// Some strings stay ambiguous: the base64 name of tag 2^53-1 (tag characters `H////////w`) is
/// also a 42-byte name followed by the path `/w`, and is read so. Use base32z to avoid that.
fn split_host(s: &str) -> (&str, &str) {
    let plain = s.find('/').unwrap_or(s.len());
    let top_start = s[..plain].rfind('.').map_or(0, |i| i + 1);
    let top = &s[top_start..plain];
    if plain < s.len() && top.starts_with('m') && decode_name(top).is_err() {
        // Kept so that a URL with no better reading fails on its path as it always did.
        let mut first_fit = None;
        for bytes in MIN_ENCODED_LEN..=MAX_ENCODED_LEN {
            let end = top_start + 1 + (bytes * 4).div_ceil(3);
            let Some(candidate) = s.get(top_start..end) else { break };
            let ends_there = end == s.len() || s.as_bytes()[end] == b'/';
            let all_base64 =
                candidate[1..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
            if ends_there && all_base64 && decode_name(candidate).is_ok() {
                if !s[end..].contains("//") {
                    return s.split_at(end);
                }
                first_fit.get_or_insert(end);
            }
        }
        if let Some(end) = first_fit {
            return s.split_at(end);
        }
    }
    s.split_at(plain)
}

/// The non-empty `&`-separated pieces of a query, as written.
fn query_pieces(query: &str) -> impl Iterator<Item = &str> {
    query.split('&').filter(|p| !p.is_empty())
}

/// One query piece as a decoded (key, value) pair; a piece without `=` has an empty value.
fn decode_pair(piece: &str) -> (String, String) {
    let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
    let decode = |s: &str| String::from_utf8_lossy(&percent_decode(s, true)).into_owned();
    (decode(key), decode(value))
}

/// `%XX` to the byte XX (a `%` not followed by two hex digits stays as it is), and `+` to a
/// space when `plus_is_space`.
fn percent_decode(s: &str, plus_is_space: bool) -> Vec<u8> {
    let hex = |b: u8| char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok());
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let escaped = match bytes.get(i + 1..i + 3) {
            Some(&[hi, lo]) if b == b'%' => hex(hi).zip(hex(lo)).map(|(hi, lo)| hi << 4 | lo),
            _ => None,
        };
        match escaped {
            Some(decoded) => {
                out.push(decoded);
                i += 3;
            }
            None => {
                out.push(if b == b'+' && plus_is_space { b' ' } else { b });
                i += 1;
            }
        }
    }
    out
}

/// The content version of a query: its last `v` pair, which must be a version hash.
fn content_version_of(query: &str) -> Result<Option<VersionHash>, String> {
    let Some((_, value)) =
        query_pieces(query).map(decode_pair).filter(|(k, _)| k == VERSION_KEY).last()
    else {
        return Ok(None);
    };
    value.parse().map(Some).map_err(|e| format!("{VERSION_KEY}={value} is not a version hash: {e}"))
}

fn is_name_char(c: char) -> bool {
    !(c.is_whitespace()
        || c.is_control()
        || matches!(c, '/' | '\\' | '?' | '#' | '@' | ':' | '%' | '[' | ']' | '<' | '>' | '"'))
}

fn check_path(path: &str) -> Result<(), String> {
    if path.contains("//") {
        return Err("'//' (an empty path segment) is not allowed".into());
    }
    check_component(path)
}

fn check_component(s: &str) -> Result<(), String> {
    if let Some(c) = s.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("the character {c:?} must be percent-encoded"));
    }
    let bytes = s.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'%' {
            let hex = bytes.get(i + 1..i + 3).filter(|h| h.iter().all(u8::is_ascii_hexdigit));
            if hex.is_none() {
                return Err("'%' must be followed by two hex digits".into());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Known-answer vectors worked out by hand from the byte layout; see each test for the
    //! derivation. They are checked against the implementation, never produced by it.
    use super::*;

    /// xorname 32 x 0x00, content Raw (0), data type File (1), type tag 0:
    /// bytes = 01 | 00 00 | 01 | 00 x 32  (36 bytes, 288 bits).
    ///
    /// base32z (alphabet "ybndrfg8ejkmcpqxot1uwisza345h769", 5 bits per char, no padding):
    /// bits 00000001 00000000 00000000 00000001 00000000 ... in groups of five are
    /// 00000|00100|00000|00000|00000|00000|01000|00000 ... -> indices 0,4,0,0,0,0,8 then zeros
    /// -> "yryyyye" + "y" x 51 (288 bits / 5 = 57.6 -> 58 chars).
    /// base32 (alphabet "a".."z" then "2".."7"): same indices -> "aeaaaai" + "a" x 51.
    /// base64 (6 bits per char, 36 bytes = 12 groups of 3 = 48 chars): 01 00 00 -> "AQAA",
    /// then bytes 3..6 = 01 00 00 -> "AQAA", then 10 x "AAAA".
    fn zero_file_vectors() -> [(XorUrlBase, String); 3] {
        [
            (XorUrlBase::Base32z, format!("hyryyyye{}", "y".repeat(51))),
            (XorUrlBase::Base32, format!("baeaaaai{}", "a".repeat(51))),
            (XorUrlBase::Base64, format!("mAQAAAQAA{}", "A".repeat(40))),
        ]
    }

    #[test]
    fn encodes_zero_file_in_each_base() {
        for (base, name) in zero_file_vectors() {
            let url =
                SafeUrl::new_xorurl(XorName([0; 32]), 0, ContentType::Raw, DataType::File, base)
                    .expect("encodable");
            assert_eq!(url.to_string(), format!("safe://{name}"), "{base}");
        }
    }

    #[test]
    fn decodes_zero_file_in_each_base() {
        for (base, name) in zero_file_vectors() {
            let url = SafeUrl::parse(&format!("safe://{name}")).expect("valid");
            assert!(!url.is_nrs(), "{base}");
            assert_eq!(url.xorname(), XorName([0; 32]));
            assert_eq!(url.type_tag(), 0);
            assert_eq!(url.content_type(), &ContentType::Raw);
            assert_eq!(url.data_type(), DataType::File);
        }
    }

    /// xorname 32 x 0xff, FilesContainer (2), Register (2), type tag 1100 = 0x044c:
    /// bytes = 01 | 00 02 | 02 | ff x 32 | 04 4c  (38 bytes).
    /// base64 in groups of 3 bytes: [01 00 02] = 000000 010000 000000 000010 -> "AQAC";
    /// [02 ff ff] = 000000 101111 111111 111111 -> "Av//"; 10 groups of ff ff ff -> "////";
    /// [04 4c] = 000001 000100 1100(00) -> "BEw" (no padding).
    #[test]
    fn type_tag_keeps_only_significant_bytes() {
        let expected = format!("safe://mAQACAv//{}BEw", "////".repeat(10));
        let url = SafeUrl::new_xorurl(
            XorName([0xff; 32]),
            1100,
            ContentType::FilesContainer,
            DataType::Register,
            XorUrlBase::Base64,
        )
        .expect("encodable");
        assert_eq!(url.to_string(), expected);
        let back = SafeUrl::parse(&expected).expect("valid");
        assert_eq!(back.type_tag(), 1100);
        assert_eq!(back.xorname(), XorName([0xff; 32]));
        assert_eq!(back.content_type(), &ContentType::FilesContainer);
        assert_eq!(back.data_type(), DataType::Register);
    }

    #[test]
    fn base64_name_with_slashes_keeps_its_path() {
        let name = format!("mAQACAv//{}BEw", "////".repeat(10));
        let url = SafeUrl::parse(&format!("safe://sub.{name}/a/b.txt?x=1")).expect("valid");
        assert_eq!(url.top_name(), name);
        assert_eq!(url.sub_names(), ["sub"]);
        assert_eq!(url.path(), "/a/b.txt");
        assert_eq!(url.type_tag(), 1100);
        // Every xorname round-trips through base64, whatever '/' its encoding contains.
        for i in 0..=255u8 {
            let x = XorName([i; 32]);
            let u = SafeUrl::new_xorurl(x, 0, ContentType::Raw, DataType::File, XorUrlBase::Base64)
                .expect("encodable");
            let back = SafeUrl::parse(&format!("{u}/p")).expect("valid");
            assert_eq!((back.xorname(), back.path()), (x, "/p"));
        }
    }

    #[test]
    fn largest_type_tag_uses_eight_bytes() {
        let url = SafeUrl::new_xorurl(
            XorName([1; 32]),
            u64::MAX,
            ContentType::Raw,
            DataType::Register,
            XorUrlBase::Base32z,
        )
        .expect("encodable");
        let (_, bytes) = multibase::decode(url.top_name()).expect("multibase");
        assert_eq!(bytes.len(), MAX_ENCODED_LEN);
        assert_eq!(SafeUrl::parse(&url.to_string()).expect("valid").type_tag(), u64::MAX);
    }

    /// Tag 2^64-1 with xorname 32 x 0xff: every byte after the header is ff, so the base64 name
    /// is "mAQAAAv" + 52 x '/' + '8' (59 characters, 44 bytes). Its 36-, 39- and 42-byte
    /// prefixes also decode, but would leave a path holding "//"; the whole name is read.
    #[test]
    fn base64_name_of_largest_tag_reads_whole() {
        let name = format!("mAQAAAv{}8", "/".repeat(52));
        let url = SafeUrl::parse(&format!("safe://{name}")).expect("valid");
        assert_eq!((url.top_name(), url.path(), url.type_tag()), (name.as_str(), "", u64::MAX));
        let url = SafeUrl::parse(&format!("safe://{name}/p")).expect("valid");
        assert_eq!((url.path(), url.type_tag()), ("/p", u64::MAX));
        // No reading without '//' in the path: the error is about the path, as before.
        let err = SafeUrl::parse(&format!("safe://{name}//p")).expect_err("'//'");
        assert!(matches!(err, UrlError::Part { part: "path", .. }), "{err}");
    }

    #[test]
    fn rejects_decoded_length_outside_36_to_44() {
        for len in [35usize, 45] {
            let mut bytes = vec![0u8; len];
            bytes[0] = 1;
            bytes[3] = 1;
            let name = multibase::encode(Base::Base32Z, &bytes);
            let err = SafeUrl::parse_xorurl(&format!("safe://{name}")).expect_err("bad length");
            assert!(matches!(err, UrlError::XorUrl { .. }), "{len}: {err}");
            // As a general URL the same name can only be an NRS name.
            assert!(SafeUrl::parse(&format!("safe://{name}")).expect("nrs").is_nrs());
        }
    }

    #[test]
    fn rejects_bad_version_content_and_data_type() {
        let mut bytes = vec![0u8; 36];
        bytes[0] = 2;
        let err = SafeUrl::parse(&format!("safe://{}", multibase::encode(Base::Base32Z, &bytes)));
        assert!(
            matches!(err, Err(UrlError::XorUrl { ref reason, .. }) if reason.contains("version"))
        );
        bytes[0] = 1;
        bytes[1] = 0x00;
        bytes[2] = 0x05;
        let err = SafeUrl::parse(&format!("safe://{}", multibase::encode(Base::Base32Z, &bytes)));
        assert!(
            matches!(err, Err(UrlError::XorUrl { ref reason, .. }) if reason.contains("content"))
        );
        bytes[2] = 0;
        bytes[3] = 4;
        let err = SafeUrl::parse(&format!("safe://{}", multibase::encode(Base::Base32Z, &bytes)));
        assert!(matches!(err, Err(UrlError::XorUrl { ref reason, .. }) if reason.contains("data")));
    }

    #[test]
    fn media_type_goes_into_content_type_field() {
        // text/html is index 2 of the text range 0xe000 -> bytes 01 | e0 02 | 01 | ...
        let url = SafeUrl::new_xorurl(
            XorName([0; 32]),
            0,
            ContentType::media_type("text/html").expect("known"),
            DataType::File,
            XorUrlBase::Base32z,
        )
        .expect("encodable");
        let (_, bytes) = multibase::decode(url.top_name()).expect("multibase");
        assert_eq!(&bytes[..4], &[1, 0xe0, 0x02, 1]);
        let back = SafeUrl::parse(&url.to_string()).expect("valid");
        assert_eq!(back.content_type().to_string(), "text/html");
        assert!(matches!(
            ContentType::media_type("text/unknown"),
            Err(UrlError::UnsupportedMediaType(_))
        ));
    }

    #[test]
    fn keeps_sub_names_path_query_fragment() {
        let name = &zero_file_vectors()[0].1;
        // `v` must be a version hash: 32 zero bytes are "h" and 52 x 'y'.
        let v = format!("h{}", "y".repeat(52));
        let s = format!("safe://a.b.{name}/dir/file%20name.txt?q=1&v={v}#frag");
        let url = SafeUrl::parse(&s).expect("valid");
        assert_eq!(url.sub_names(), ["a", "b"]);
        assert_eq!(url.top_name(), name);
        assert_eq!(url.path(), "/dir/file%20name.txt");
        assert_eq!(url.query(), format!("q=1&v={v}"));
        assert_eq!(url.fragment(), "frag");
        assert_eq!(url.to_string(), s);
        let b64 = url.to_xorurl(XorUrlBase::Base64);
        assert_eq!(
            b64,
            format!("safe://a.b.mAQAAAQAA{}/dir/file%20name.txt?q=1&v={v}#frag", "A".repeat(40))
        );
    }

    fn entry(byte: u8) -> VersionHash {
        VersionHash::new(crate::register::EntryHash([byte; 32]))
    }

    #[test]
    fn content_version_is_the_last_v() {
        // 32 x 0x00 -> "h" + 52 x 'y'; 32 x 0xff -> "h" + 51 x '9' + 'o' (see version_hash.rs).
        let (v0, v1) = (entry(0), entry(0xff));
        let url = SafeUrl::parse(&format!("safe://site?v={v0}&a=1&v={v1}")).expect("valid");
        assert_eq!(url.content_version(), Some(v1));
        // The key is compared decoded: %76 is 'v'.
        let url = SafeUrl::parse(&format!("safe://site?%76={v0}")).expect("valid");
        assert_eq!(url.content_version(), Some(v0));
        assert_eq!(SafeUrl::parse("safe://site?a=1").expect("valid").content_version(), None);
        let none = SafeUrl::new_xorurl(
            XorName([0; 32]),
            0,
            ContentType::Raw,
            DataType::File,
            XorUrlBase::Base32z,
        );
        assert_eq!(none.expect("encodable").content_version(), None);
    }

    #[test]
    fn rejects_a_v_that_is_no_version_hash() {
        for bad in
            ["v=x", "v=", "v", &format!("v=b{}", "a".repeat(52)), &format!("v=h{}", "y".repeat(50))]
        {
            let err = SafeUrl::parse(&format!("safe://site?{bad}")).expect_err(bad);
            let UrlError::Part { part: "query", reason, .. } = &err else {
                panic!("{bad}: {err}");
            };
            assert!(reason.contains("is not a version hash"), "{bad}: {err}");
        }
        // Only the last v is the content version, so only it is checked (as sn_api does).
        assert!(SafeUrl::parse(&format!("safe://site?v=x&v={}", entry(1))).is_ok());
    }

    #[test]
    fn set_content_version_keeps_other_pairs() {
        let (v0, v1) = (entry(0), entry(0xff));
        let mut url =
            SafeUrl::parse(&format!("safe://site/p?a=1&v={v0}&b=x+y&&v={v0}#f")).expect("valid");
        url.set_content_version(Some(v1));
        assert_eq!(url.to_string(), format!("safe://site/p?a=1&v={v1}&b=x+y#f"));
        assert_eq!(url.content_version(), Some(v1));
        url.set_content_version(None);
        assert_eq!(url.to_string(), "safe://site/p?a=1&b=x+y#f");
        assert_eq!(url.content_version(), None);
        let mut bare = SafeUrl::parse("safe://site").expect("valid");
        bare.set_content_version(Some(v0));
        assert_eq!(bare.to_string(), format!("safe://site?v={v0}"));
        assert_eq!(SafeUrl::parse(&bare.to_string()).expect("valid"), bare);
        bare.set_content_version(None);
        assert_eq!(bare.to_string(), "safe://site");
    }

    #[test]
    fn query_pairs_follow_form_urlencoding() {
        let url = SafeUrl::parse("safe://site?name=a+b&x=%26%3D&empty=&flag&&k=v=w&bad=%FFa%C3")
            .expect("valid");
        let expected = [
            ("name", "a b"),
            ("x", "&="),
            ("empty", ""),
            ("flag", ""),
            ("k", "v=w"),
            ("bad", "\u{fffd}a\u{fffd}"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        assert_eq!(url.query_pairs(), expected);
    }

    #[test]
    fn path_decoded_is_utf8() {
        let url = SafeUrl::parse("safe://site/dir%20one/caf%C3%A9+x.txt").expect("valid");
        assert_eq!(url.path_decoded().expect("utf-8"), "/dir one/café+x.txt");
        let bad = SafeUrl::parse("safe://site/%FF").expect("valid");
        assert!(matches!(bad.path_decoded(), Err(UrlError::Part { part: "path", .. })));
    }

    #[test]
    fn set_sub_names_checks_labels() {
        let mut url = SafeUrl::parse("safe://a.b.site/p").expect("valid");
        url.set_sub_names(&["x", "y", "z"]).expect("valid labels");
        assert_eq!(url.to_string(), "safe://x.y.z.site/p");
        url.set_sub_names::<&str>(&[]).expect("no labels");
        assert_eq!(url.to_string(), "safe://site/p");
        for bad in ["", "a.b", "a b", "a/b"] {
            assert!(url.set_sub_names(&[bad]).is_err(), "{bad:?}");
        }
        assert_eq!(url.to_string(), "safe://site/p");
    }

    #[test]
    fn content_and_data_types_parse_their_display() {
        for ct in [
            ContentType::Raw,
            ContentType::Wallet,
            ContentType::FilesContainer,
            ContentType::NrsMapContainer,
            ContentType::Multimap,
            ContentType::media_type("image/png").expect("known"),
        ] {
            assert_eq!(ct.to_string().parse::<ContentType>(), Ok(ct));
        }
        assert!("text/unknown".parse::<ContentType>().is_err());
        for dt in [DataType::SafeKey, DataType::File, DataType::Register, DataType::Spentbook] {
            assert_eq!(dt.to_string().parse::<DataType>(), Ok(dt));
        }
        assert!("Blob".parse::<DataType>().is_err());
    }

    #[test]
    fn nrs_names_address_their_map_register() {
        let url = SafeUrl::parse("safe://blog.mysite/index.html").expect("valid");
        assert!(url.is_nrs());
        assert_eq!(url.top_name(), "mysite");
        assert_eq!(url.sub_names(), ["blog"]);
        assert_eq!(url.xorname(), XorName::from_content(b"mysite"));
        assert_eq!(url.type_tag(), NRS_MAP_TYPE_TAG);
        assert_eq!(url.data_type(), DataType::Register);
        assert_eq!(url.content_type(), &ContentType::NrsMapContainer);
    }

    #[test]
    fn rejects_malformed_urls() {
        let name = &zero_file_vectors()[0].1;
        for bad in [
            format!("http://{name}"),
            name.to_string(),
            "safe://".into(),
            "safe://a..b".into(),
            "safe://.a".into(),
            "safe://a b".into(),
            format!("safe://{name}/a//b"),
            format!("safe://{name}/a b"),
            format!("safe://{name}/%zz"),
            format!("safe://{name}?a b"),
        ] {
            assert!(SafeUrl::parse(&bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn scheme_is_case_insensitive() {
        let name = &zero_file_vectors()[0].1;
        assert!(SafeUrl::parse(&format!("SAFE://{name}")).is_ok());
    }
}
