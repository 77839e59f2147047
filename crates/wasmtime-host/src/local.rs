//! Reading a local file or folder for a FilesContainer operation, as the Node host does
//! (`host/api/local-files.ts`): what is there, with the metadata sn_api recorded (mode bits,
//! read-only, creation and modification times, symlink targets). Contents are not read here:
//! each file becomes a source the client pulls a chunk at a time.

use std::collections::HashSet;
use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::SystemTime;

use bytes::Bytes;
use safe_client::{ByteSource, LocalItem, LocalItems, LocalKind, Source};

use crate::{ErrorCode, SafeError};

/// Most entries one operation takes.
const MAX_ENTRIES: usize = 100_000;

/// Lists `location` (a file or a folder): the location itself first (as `""`), then what is
/// under it, depth first, names sorted.
pub(crate) fn walk(
    location: &str,
    recursive: bool,
    follow_links: bool,
) -> Result<LocalItems, SafeError> {
    let root = std::path::absolute(location).map_err(|e| bad(location, e))?;
    let first = std::fs::metadata(&root).map_err(|e| bad(location, e))?;
    let mut items = Vec::new();
    let mut walker = Walker { location, recursive, follow_links, items: &mut items };
    walker.visit(&root, String::new(), first, 0, &HashSet::new())?;
    Ok(LocalItems { location: location.to_owned(), items })
}

fn bad(location: &str, e: std::io::Error) -> SafeError {
    let why = if e.kind() == std::io::ErrorKind::NotFound {
        "no such file or folder".to_owned()
    } else {
        e.to_string()
    };
    SafeError::new(ErrorCode::InvalidArgument, format!("cannot read {location}: {why}"))
}

struct Walker<'a> {
    location: &'a str,
    recursive: bool,
    follow_links: bool,
    items: &'a mut Vec<LocalItem>,
}

impl Walker<'_> {
    fn visit(
        &mut self,
        absolute: &Path,
        path: String,
        info: Metadata,
        depth: usize,
        ancestors: &HashSet<(u64, u64)>,
    ) -> Result<(), SafeError> {
        if self.items.len() >= MAX_ENTRIES {
            return Err(SafeError::new(
                ErrorCode::InvalidArgument,
                format!(
                    "{} holds more than {MAX_ENTRIES} files and folders: store it in parts",
                    self.location
                ),
            ));
        }
        let kind = if info.file_type().is_symlink() {
            let target = std::fs::read_link(absolute)
                .map(|t| t.to_string_lossy().into_owned())
                .unwrap_or_default();
            let target_type = match std::fs::metadata(absolute) {
                Ok(m) if m.is_dir() => "dir",
                Ok(_) => "file",
                Err(_) => "unknown",
            };
            LocalKind::Symlink { target, target_type: target_type.to_owned() }
        } else if info.is_file() {
            LocalKind::File(file_source(absolute)?)
        } else if info.is_dir() {
            LocalKind::Dir
        } else {
            return Ok(()); // sockets, devices, FIFOs: nothing to store
        };
        let is_dir = matches!(kind, LocalKind::Dir);
        self.items.push(LocalItem {
            path: path.clone(),
            kind,
            mode_bits: info.mode(),
            readonly: info.mode() & 0o222 == 0,
            created: info.created().ok().and_then(iso),
            modified: info.modified().ok().and_then(iso),
        });
        if !is_dir || (depth > 0 && !self.recursive) {
            return Ok(());
        }
        // A followed link can lead back to a folder being walked (a loop): list it, do not enter.
        let identity = (info.dev(), info.ino());
        if ancestors.contains(&identity) {
            return Ok(());
        }
        let mut inside = ancestors.clone();
        inside.insert(identity);
        let mut names: Vec<String> = std::fs::read_dir(absolute)
            .map_err(|e| bad(self.location, e))?
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect();
        names.sort();
        for name in names {
            let child = absolute.join(&name);
            let child_info = if self.follow_links {
                std::fs::metadata(&child).or_else(|_| std::fs::symlink_metadata(&child))
            } else {
                std::fs::symlink_metadata(&child)
            }
            .map_err(|e| bad(self.location, e))?;
            let child_path = if path.is_empty() { name } else { format!("{path}/{name}") };
            self.visit(&child, child_path, child_info, depth + 1, &inside)?;
        }
        Ok(())
    }
}

/// RFC 3339 in UTC with milliseconds, as JavaScript's `toISOString` writes it.
fn iso(t: SystemTime) -> Option<String> {
    let t = time::OffsetDateTime::from(t);
    if t.unix_timestamp() <= 0 {
        return None;
    }
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    t.format(&format).ok()
}

/// A local file read a piece at a time (the `byte-source` the component pulls from).
struct FileSource {
    file: std::fs::File,
    size: u64,
}

impl ByteSource for FileSource {
    fn size(&self) -> u64 {
        self.size
    }

    fn read(&mut self, max: usize) -> Result<Bytes, String> {
        use std::io::Read;
        let mut buf = vec![0u8; max.min(16 << 20)];
        let mut filled = 0;
        while filled < buf.len() {
            match self.file.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        buf.truncate(filled);
        Ok(Bytes::from(buf))
    }
}

/// Opens a local file as a source.
pub(crate) fn file_source(path: &Path) -> Result<Source, SafeError> {
    let bad = |e: std::io::Error| {
        SafeError::new(ErrorCode::InvalidArgument, format!("cannot read {}: {e}", path.display()))
    };
    let file = std::fs::File::open(path).map_err(bad)?;
    let meta = file.metadata().map_err(bad)?;
    if !meta.is_file() {
        return Err(SafeError::new(
            ErrorCode::InvalidArgument,
            format!("{} is not a file", path.display()),
        ));
    }
    Ok(Source::new(FileSource { file, size: meta.len() }))
}
