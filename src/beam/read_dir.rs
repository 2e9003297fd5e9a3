//! Reading an application's `ebin` directory: every beam, on all cores.

use super::{Beam, BeamError};

/// Why the beams of a directory could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The directory or a file could not be read.
    #[error("{path}: {error}")]
    Io {
        /// The path.
        path: std::path::PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// A file is not a readable BEAM file.
    #[error("{path}: {error}")]
    Beam {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        error: BeamError,
    },
}

/// Reads every `.beam` of a directory (an application's `ebin`), by module name. Files are
/// read and parsed on as many threads as the machine has cores: a release holds tens of
/// thousands of beams, and reading them is most of the work.
///
/// # Errors
/// The first file that cannot be read or is not a BEAM file.
pub fn read_ebin(
    dir: &std::path::Path,
) -> Result<std::collections::BTreeMap<String, Beam>, ReadError> {
    let io = |path: &std::path::Path| {
        let path = path.to_path_buf();
        move |error| ReadError::Io { path, error }
    };
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "beam"))
        .collect();
    files.sort();
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, 8);
    let chunk = files.len().div_ceil(workers).max(1);
    let parsed: Vec<Result<Beam, ReadError>> = std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|p| {
                            let bytes = std::fs::read(p).map_err(io(p))?;
                            Beam::parse(&bytes).map_err(|error| ReadError::Beam {
                                path: p.clone(),
                                error,
                            })
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    parsed
        .into_iter()
        .map(|b| b.map(|b| (b.module.clone(), b)))
        .collect()
}
