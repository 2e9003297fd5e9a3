//! The listening sockets `relup run` holds for its whole life: parsed from `--listen`, bound
//! once, and placed at file descriptors 3, 4, ... without close-on-exec, so that every
//! instance it starts inherits them exactly where systemd's socket activation puts them.
//!
//! Placing them there needs no `unsafe`: each socket is bound (the kernel hands out the lowest
//! free descriptor), moved out of the way with `F_DUPFD_CLOEXEC`, and then duplicated back with
//! `F_DUPFD_CLOEXEC` at a minimum of `3 + i`, which yields exactly `3 + i` when that number is
//! free. Every other descriptor this process opens (std and the crates it uses open all of
//! theirs close-on-exec) lands above them.

use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use rustix::io::{FdFlags, fcntl_dupfd_cloexec, fcntl_setfd};
use serde::Serialize;

use super::RunError;

/// The first descriptor of socket activation (`SD_LISTEN_FDS_START`).
pub const LISTEN_FDS_START: RawFd = 3;

/// Where bound sockets wait before they are placed (below the common 1024 limit).
const PARK_AT: RawFd = 512;

/// Where to listen: `HOST:PORT` (IPv4 or `[IPv6]:PORT`; port 0 lets the system pick) or
/// `unix:PATH`, optionally named (`NAME=ADDR`; the name goes into `LISTEN_FDNAMES`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenAddr {
    /// The name the instances see in `LISTEN_FDNAMES` (`listen0`, `listen1`, ... by default).
    pub name: Option<String>,
    /// The address.
    pub kind: ListenKind,
}

/// The kinds of listening socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenKind {
    /// TCP on an address (resolved when parsed).
    Tcp(SocketAddr),
    /// A Unix stream socket at a path.
    Unix(PathBuf),
}

impl FromStr for ListenAddr {
    type Err = RunError;

    fn from_str(s: &str) -> Result<Self, RunError> {
        let bad = |why: &str| RunError::BadAddress {
            address: s.to_string(),
            why: why.to_string(),
        };
        let (name, addr) = match s.split_once('=') {
            Some((n, a)) => {
                let ok = !n.is_empty()
                    && n.len() <= 255
                    && n.bytes().all(|b| b.is_ascii_graphic() && b != b':');
                if !ok {
                    return Err(bad(
                        "a name is 1 to 255 printable characters without ':' or spaces",
                    ));
                }
                (Some(n.to_string()), a)
            }
            None => (None, s),
        };
        let kind = if let Some(path) = addr.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(bad("unix: needs a path"));
            }
            if path.len() > 100 {
                return Err(bad("a Unix socket path is at most 100 bytes"));
            }
            ListenKind::Unix(PathBuf::from(path))
        } else {
            let mut found = addr
                .to_socket_addrs()
                .map_err(|e| bad(&format!("not HOST:PORT or unix:PATH ({e})")))?;
            ListenKind::Tcp(found.next().ok_or_else(|| bad("the host has no address"))?)
        };
        Ok(ListenAddr { name, kind })
    }
}

impl std::fmt::Display for ListenKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ListenKind::Tcp(a) => write!(f, "{a}"),
            ListenKind::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

/// One bound socket, as reported in the `listening` event.
#[derive(Debug, Clone, Serialize)]
pub struct Bound {
    /// Its name in `LISTEN_FDNAMES`.
    pub name: String,
    /// The address it is bound to (with the port the system picked for port 0).
    pub address: String,
    /// The descriptor the instances find it at.
    pub fd: RawFd,
}

/// The listening sockets, placed at descriptors 3, 4, ... (inherited by every child). A Unix
/// socket's file is removed when this is dropped.
#[derive(Debug)]
pub struct Sockets {
    fds: Vec<OwnedFd>,
    bound: Vec<Bound>,
    unix_paths: Vec<PathBuf>,
}

impl Sockets {
    /// Binds every address (in order) and places socket `i` at descriptor `3 + i`.
    ///
    /// Fails when an address cannot be bound, when a Unix socket path is taken by a live
    /// server or by something that is not a socket, or when descriptors 3.. are already open
    /// in this process (inherited from whoever started it).
    pub fn bind(addrs: &[ListenAddr]) -> Result<Sockets, RunError> {
        let mut parked = Vec::new();
        let mut bound = Vec::new();
        let mut unix_paths = Vec::new();
        for (i, a) in addrs.iter().enumerate() {
            let name = a.name.clone().unwrap_or_else(|| format!("listen{i}"));
            let io = |e: std::io::Error| RunError::Bind {
                address: a.kind.to_string(),
                source: e,
            };
            let (fd, address): (OwnedFd, String) = match &a.kind {
                ListenKind::Tcp(addr) => {
                    let l = TcpListener::bind(addr).map_err(io)?;
                    let local = l.local_addr().map_err(io)?;
                    (l.into(), local.to_string())
                }
                ListenKind::Unix(path) => {
                    clear_stale_socket(path).map_err(io)?;
                    let l = UnixListener::bind(path).map_err(io)?;
                    unix_paths.push(path.clone());
                    (l.into(), a.kind.to_string())
                }
            };
            // Out of the low range, so that the placing below finds 3.. free.
            parked.push(fcntl_dupfd_cloexec(&fd, PARK_AT).map_err(|e| io(e.into()))?);
            bound.push(Bound {
                name,
                address,
                fd: LISTEN_FDS_START + i as RawFd,
            });
        }
        let mut fds = Vec::new();
        for (i, p) in parked.iter().enumerate() {
            let want = LISTEN_FDS_START + i as RawFd;
            let fd = fcntl_dupfd_cloexec(p, want).map_err(|e| RunError::Fd {
                fd: want,
                source: e.into(),
            })?;
            if fd.as_raw_fd() != want {
                return Err(RunError::FdTaken { fd: want });
            }
            fcntl_setfd(&fd, FdFlags::empty()).map_err(|e| RunError::Fd {
                fd: want,
                source: e.into(),
            })?;
            fds.push(fd);
        }
        Ok(Sockets {
            fds,
            bound,
            unix_paths,
        })
    }

    /// The sockets as bound, in descriptor order.
    pub fn bound(&self) -> &[Bound] {
        &self.bound
    }

    /// `LISTEN_FDNAMES`: the names joined by `:`.
    pub fn names(&self) -> String {
        let names: Vec<&str> = self.bound.iter().map(|b| b.name.as_str()).collect();
        names.join(":")
    }

    /// How many sockets (`LISTEN_FDS`).
    pub fn len(&self) -> usize {
        self.fds.len()
    }

    /// No sockets at all (`relup run` without `--listen` still supervises and hands over).
    pub fn is_empty(&self) -> bool {
        self.fds.is_empty()
    }
}

impl Drop for Sockets {
    fn drop(&mut self) {
        for p in &self.unix_paths {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// A Unix socket file left by a server that is gone (connecting is refused) is removed; a live
/// one, or a path that is not a socket, is left alone and binding fails on it.
fn clear_stale_socket(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !meta.file_type().is_socket() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "the path exists and is not a socket",
        ));
    }
    match UnixStream::connect(path) {
        Ok(_) => Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            "a server is listening on it",
        )),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => std::fs::remove_file(path),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_with_names_and_kinds() {
        let a: ListenAddr = "http=127.0.0.1:0".parse().unwrap();
        assert_eq!(a.name.as_deref(), Some("http"));
        assert!(matches!(a.kind, ListenKind::Tcp(s) if s.is_ipv4()));
        let b: ListenAddr = "[::1]:8080".parse().unwrap();
        assert!(matches!(b.kind, ListenKind::Tcp(s) if s.is_ipv6() && s.port() == 8080));
        let c: ListenAddr = "unix:/tmp/x.sock".parse().unwrap();
        assert_eq!(c.kind, ListenKind::Unix(PathBuf::from("/tmp/x.sock")));
        for bad in [
            "",
            "nohost",
            "a:b=1.2.3.4:5",
            "unix:",
            "=1.2.3.4:5",
            "1.2.3.4:99999",
        ] {
            assert!(bad.parse::<ListenAddr>().is_err(), "{bad}");
        }
    }
}
