//! Harness for `relup run`: the real binary supervising real servers on loopback, its JSON
//! events read as they come, HTTP requests and a bounded load generator that counts every
//! failed request.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Sends a signal by name (`HUP`, `TERM`, `KILL`) to a pid.
pub fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status();
}

/// `relup run` under test: the process, the events it printed so far, the bound address.
pub struct Supervised {
    child: Child,
    events: Receiver<Value>,
    /// Every event seen, in order.
    pub seen: Vec<Value>,
    /// The first listening address (`127.0.0.1:PORT`).
    pub addr: Option<SocketAddr>,
}

impl Supervised {
    /// Starts `relup run --json ARGS -- COMMAND...` and waits for its `listening` events.
    pub fn start(args: &[&str], command: &[&str]) -> Supervised {
        Supervised::start_in(Command::new(env!("CARGO_BIN_EXE_relup")), args, command)
    }

    /// [`Supervised::start`] from a prepared command (the relup binary, with its environment).
    pub fn start_in(mut relup: Command, args: &[&str], command: &[&str]) -> Supervised {
        let mut child = relup
            .arg("run")
            .arg("--json")
            .args(args)
            .arg("--")
            .args(command)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, events) = channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    assert_eq!(v["schema_version"], 1, "{line}");
                    if tx.send(v).is_err() {
                        break;
                    }
                }
            }
        });
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                eprintln!("  | {line}");
            }
        });
        let mut s = Supervised {
            child,
            events,
            seen: Vec::new(),
            addr: None,
        };
        if args.contains(&"--listen") {
            let l = s.wait_for(|e| e["event"] == "listening", 10);
            s.addr = l["address"].as_str().and_then(|a| a.parse().ok());
        }
        s
    }

    /// relup run's own pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits (at most `secs`) for an event matching `want`, keeping every event in `seen`.
    pub fn wait_for(&mut self, want: impl Fn(&Value) -> bool, secs: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        if let Some(v) = self.seen.iter().find(|v| want(v)) {
            return v.clone();
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(v) => {
                    self.seen.push(v.clone());
                    if want(&v) {
                        return v;
                    }
                }
                Err(_) => panic!("no such event within {secs} s; seen: {:?}", self.seen),
            }
        }
    }

    /// Waits for the event `name` of instance `id`.
    pub fn wait_instance(&mut self, name: &str, id: u64, secs: u64) -> Value {
        self.wait_for(|e| e["event"] == name && e["instance"] == id, secs)
    }

    /// The pid of instance `id` (from its `started` event).
    pub fn instance_pid(&mut self, id: u64) -> u32 {
        self.wait_instance("started", id, 10)["pid"]
            .as_u64()
            .unwrap() as u32
    }

    /// Sends `SIGTERM` and waits (bounded) for relup run to exit; its exit status.
    pub fn stop(&mut self) -> Option<i32> {
        signal(self.child.id(), "TERM");
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                while let Ok(v) = self.events.recv_timeout(Duration::from_millis(200)) {
                    self.seen.push(v);
                }
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Supervised {
    /// Stops relup run, and as a backstop kills every instance it reported, by pid.
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() && self.stop().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        while let Ok(v) = self.events.try_recv() {
            self.seen.push(v);
        }
        for e in &self.seen {
            if e["event"] == "started" {
                if let Some(pid) = e["pid"].as_u64() {
                    if Path::new(&format!("/proc/{pid}")).exists() {
                        signal(pid as u32, "KILL");
                    }
                }
            }
        }
    }
}

/// `GET path` over HTTP/1.0; the body, or what went wrong.
pub fn http_get(addr: SocketAddr, path: &str, timeout: Duration) -> Result<String, String> {
    let mut s = TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(timeout)).unwrap();
    s.set_write_timeout(Some(timeout)).unwrap();
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: test\r\n\r\n").as_bytes())
        .map_err(|e| format!("send: {e}"))?;
    let mut resp = String::new();
    s.read_to_string(&mut resp)
        .map_err(|e| format!("receive: {e}"))?;
    match resp.split_once("\r\n\r\n") {
        Some((head, body)) if head.starts_with("HTTP/1.0 200") => Ok(body.to_string()),
        _ => Err(format!("bad response: {resp:?}")),
    }
}

/// The `pid=` field of a response body.
pub fn body_pid(body: &str) -> u32 {
    body.split_whitespace()
        .find_map(|w| w.strip_prefix("pid="))
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no pid in {body:?}"))
}

/// What a load run saw.
#[derive(Debug, Default)]
pub struct LoadResult {
    /// Answered requests.
    pub ok: usize,
    /// Failed requests, with what went wrong (the first few).
    pub failed: usize,
    /// The first failures.
    pub errors: Vec<String>,
    /// How many answers each server pid gave.
    pub by_pid: std::collections::BTreeMap<u32, usize>,
    /// The longest time between two consecutive answers (any client).
    pub longest_gap: Duration,
}

/// Concurrent clients sending `GET path` in a loop until stopped (or `max` seconds pass).
pub struct Load {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
    result: Arc<Mutex<(LoadResult, Option<Instant>)>>,
}

impl Load {
    /// Starts `clients` clients against `addr`.
    pub fn start(addr: SocketAddr, clients: usize, path: &str, max: Duration) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let result = Arc::new(Mutex::new((LoadResult::default(), None)));
        let until = Instant::now() + max;
        let threads = (0..clients)
            .map(|_| {
                let (stop, result, path) = (stop.clone(), result.clone(), path.to_string());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) && Instant::now() < until {
                        let r = http_get(addr, &path, Duration::from_secs(10));
                        let now = Instant::now();
                        let mut g = result.lock().unwrap();
                        let (res, last) = &mut *g;
                        match r {
                            Ok(body) => {
                                res.ok += 1;
                                *res.by_pid.entry(body_pid(&body)).or_default() += 1;
                                if let Some(l) = last {
                                    res.longest_gap = res.longest_gap.max(now - *l);
                                }
                                *last = Some(now);
                            }
                            Err(e) => {
                                res.failed += 1;
                                if res.errors.len() < 5 {
                                    res.errors.push(e);
                                }
                                drop(g);
                                std::thread::sleep(Duration::from_millis(5));
                            }
                        }
                    }
                })
            })
            .collect();
        Load {
            stop,
            threads,
            result,
        }
    }

    /// Answers so far.
    pub fn ok_so_far(&self) -> usize {
        self.result.lock().unwrap().0.ok
    }

    /// Stops the clients and returns what they saw.
    pub fn finish(self) -> LoadResult {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            let _ = t.join();
        }
        std::mem::take(&mut self.result.lock().unwrap().0)
    }
}

/// A mode file for `handoff_server.escript` (its first word picks the behaviour of the next
/// instance, its second the version it reports).
pub struct ModeFile(pub PathBuf);

impl ModeFile {
    /// A new mode file saying `serve 1`.
    pub fn new(label: &str) -> ModeFile {
        let f = ModeFile(crate::common::temp_path(label));
        f.set("serve 1");
        f
    }

    /// Says what the next instance does.
    pub fn set(&self, mode: &str) {
        std::fs::write(&self.0, mode).unwrap();
    }

    /// The server command on this mode file.
    pub fn command(&self) -> Vec<String> {
        vec![
            "escript".into(),
            crate::common::otp_dir()
                .join("handoff_server.escript")
                .display()
                .to_string(),
            self.0.display().to_string(),
        ]
    }
}

impl Drop for ModeFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
