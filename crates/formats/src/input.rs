//! Opening inputs: files, directories (recursively), stdin; gzip and zstd undone by their
//! magic bytes, whatever the file is called.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// One input named on the command line or found in a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Path(PathBuf),
    Stdin,
}

impl Input {
    /// The input as a person names it: the path, or `<stdin>`.
    pub fn name(&self) -> String {
        match self {
            Input::Path(path) => path.display().to_string(),
            Input::Stdin => "<stdin>".to_owned(),
        }
    }

    /// When the input was last written, if it is a file: the latest time its events can have.
    pub fn modified(&self) -> Option<jiff::Timestamp> {
        match self {
            Input::Path(path) => {
                let modified = std::fs::metadata(path).ok()?.modified().ok()?;
                jiff::Timestamp::try_from(modified).ok()
            }
            Input::Stdin => None,
        }
    }
}

/// An input that cannot be opened or listed.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot open {path}: {source}")]
    Open { path: PathBuf, source: io::Error },
    #[error("cannot list directory {path}: {source}")]
    ListDir { path: PathBuf, source: io::Error },
}

/// Expands command-line arguments into inputs: `-` is stdin, a directory is every regular file
/// below it (hidden ones excepted), sorted so runs are repeatable.
pub fn expand(arguments: &[PathBuf]) -> Result<Vec<Input>, InputError> {
    let mut inputs = Vec::new();
    for argument in arguments {
        if argument.as_os_str() == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        let metadata = std::fs::metadata(argument).map_err(|source| InputError::Open {
            path: argument.clone(),
            source,
        })?;
        if metadata.is_dir() {
            let mut found = Vec::new();
            walk(argument, &mut found)?;
            found.sort();
            inputs.extend(found.into_iter().map(Input::Path));
        } else {
            inputs.push(Input::Path(argument.clone()));
        }
    }
    Ok(inputs)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), InputError> {
    let list_error = |source| InputError::ListDir {
        path: dir.to_owned(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(list_error)? {
        let entry = entry.map_err(list_error)?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        // Follows symlinks, as a user pointing at a log folder expects.
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => walk(&path, found)?,
            Ok(meta) if meta.is_file() => found.push(path),
            _ => {}
        }
    }
    Ok(())
}

/// Compression an input was found to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// Opens an input for reading, undoing compression.
pub fn open(input: &Input) -> Result<(Box<dyn BufRead + Send>, Compression), InputError> {
    open_counted(input, None)
}

/// Opens an input for reading, undoing compression, and adds the bytes read from it as stored
/// to `counter` (progress and ETA are measured against the files' sizes).
pub fn open_counted(
    input: &Input,
    counter: Option<Arc<AtomicU64>>,
) -> Result<(Box<dyn BufRead + Send>, Compression), InputError> {
    let mut raw: Box<dyn Read + Send> = match input {
        Input::Path(path) => Box::new(File::open(path).map_err(|source| InputError::Open {
            path: path.clone(),
            source,
        })?),
        Input::Stdin => Box::new(io::stdin()),
    };
    if let Some(counter) = counter {
        raw = Box::new(Counted {
            inner: raw,
            counter,
        });
    }
    decompress(raw).map_err(|source| InputError::Open {
        path: PathBuf::from(input.name()),
        source,
    })
}

/// A reader that counts what passes through it.
struct Counted {
    inner: Box<dyn Read + Send>,
    counter: Arc<AtomicU64>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// Whether bytes start a gzip or zstd stream.
pub fn is_compressed(head: &[u8]) -> bool {
    head.starts_with(GZIP_MAGIC) || head.starts_with(ZSTD_MAGIC)
}

/// Wraps a reader so that gzip (`1f 8b`) and zstd (`28 b5 2f fd`) streams come out decoded.
pub fn decompress(raw: Box<dyn Read + Send>) -> io::Result<(Box<dyn BufRead + Send>, Compression)> {
    let mut buffered = BufReader::with_capacity(256 * 1024, raw);
    let head = buffered.fill_buf()?;
    if head.starts_with(GZIP_MAGIC) {
        let decoder = flate2::bufread::MultiGzDecoder::new(buffered);
        Ok((
            Box::new(BufReader::with_capacity(256 * 1024, decoder)),
            Compression::Gzip,
        ))
    } else if head.starts_with(ZSTD_MAGIC) {
        let decoder = zstd::stream::read::Decoder::with_buffer(buffered)?;
        Ok((
            Box::new(BufReader::with_capacity(256 * 1024, decoder)),
            Compression::Zstd,
        ))
    } else {
        Ok((Box::new(buffered), Compression::None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(bytes: Vec<u8>) -> (String, Compression) {
        let (mut reader, compression) = decompress(Box::new(io::Cursor::new(bytes))).unwrap();
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        (text, compression)
    }

    #[test]
    fn undoes_gzip_and_zstd_by_magic() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"hello\n").unwrap();
        assert_eq!(
            read_all(gz.finish().unwrap()),
            ("hello\n".into(), Compression::Gzip)
        );
        let zst = zstd::encode_all(&b"world\n"[..], 1).unwrap();
        assert_eq!(read_all(zst), ("world\n".into(), Compression::Zstd));
        assert_eq!(
            read_all(b"plain".to_vec()),
            ("plain".into(), Compression::None)
        );
    }

    #[test]
    fn directories_expand_sorted_without_hidden_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        for name in ["b.log", "a.json", ".hidden", "sub/c.jsonl"] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        let inputs = expand(&[dir.path().to_owned()]).unwrap();
        let names: Vec<_> = inputs
            .iter()
            .map(|i| match i {
                Input::Path(p) => p.strip_prefix(dir.path()).unwrap().display().to_string(),
                Input::Stdin => unreachable!(),
            })
            .collect();
        assert_eq!(names, ["a.json", "b.log", "sub/c.jsonl"]);
    }

    #[test]
    fn a_missing_input_names_its_path() {
        let err = expand(&[PathBuf::from("/no/such/file.jsonl")]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot open /no/such/file.jsonl:"),
            "{err}"
        );
    }
}
