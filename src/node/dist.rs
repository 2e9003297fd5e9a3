//! A client of Erlang distribution: EPMD lookup, the handshake as a hidden node, and calls
//! through the peer's `rex` server, each with a timeout.
//!
//! Built on `erl_dist`, driven by `smol` from synchronous calls. Two things every such client
//! must get right: the socket runs with `TCP_NODELAY` (without it every call waits for the
//! peer's delayed ACK, ~40 ms), and calls name this connection as their group leader, so a
//! remote `io:format` becomes an `io_request` answered here instead of a call that never
//! returns.

use std::time::Duration;

use eetf::{Atom, List, Pid, Reference, Term as ETerm, Tuple};
use erl_dist::epmd::EpmdClient;
use erl_dist::handshake::{ClientSideHandshake, HandshakeError, HandshakeStatus};
use erl_dist::message::Message;
use erl_dist::node::{Creation, LocalNode, NodeName};
use smol::net::TcpStream;

use super::wire::Wire;

/// Why talking to a node failed, in words a person acts on.
#[derive(Debug, thiserror::Error)]
pub enum DistError {
    /// The node name is not `name@host`.
    #[error("{0:?} is not a node name (name@host)")]
    BadNodeName(String),
    /// No cookie given and none in `~/.erlang.cookie`.
    #[error("no cookie: give --cookie or put one in ~/.erlang.cookie ({0})")]
    NoCookie(String),
    /// EPMD does not answer.
    #[error(
        "cannot reach EPMD on {host}:{port} ({why}); is the node running, and is ERL_EPMD_PORT the one it uses?"
    )]
    Epmd {
        /// The host.
        host: String,
        /// The EPMD port.
        port: u16,
        /// The system's reason.
        why: String,
    },
    /// EPMD does not know the node.
    #[error("EPMD on {host}:{port} knows no node {name}; it knows: {}", if .known.is_empty() { "none".to_string() } else { .known.join(", ") })]
    UnknownNode {
        /// The name asked for.
        name: String,
        /// The host.
        host: String,
        /// The EPMD port.
        port: u16,
        /// The names EPMD knows.
        known: Vec<String>,
    },
    /// The node closed the connection during the challenge: it refused the cookie.
    #[error("{node} refused the connection during the challenge: the cookie is not the node's")]
    CookieRefused {
        /// The node.
        node: String,
    },
    /// Another handshake failure.
    #[error("handshake with {node} failed: {why}")]
    Handshake {
        /// The node.
        node: String,
        /// Why.
        why: String,
    },
    /// A socket error after the handshake.
    #[error("connection to {node} lost: {why}")]
    Io {
        /// The node.
        node: String,
        /// Why.
        why: String,
    },
    /// No answer within the timeout.
    #[error("no answer from {node} within {secs} s to {what}")]
    Timeout {
        /// The node.
        node: String,
        /// The timeout.
        secs: u64,
        /// The call.
        what: String,
    },
    /// The call raised on the node (`{badrpc, Reason}`).
    #[error("{what} failed on {node}: {reason}")]
    BadRpc {
        /// The node.
        node: String,
        /// The call.
        what: String,
        /// The reason, as Erlang prints it.
        reason: String,
    },
}

/// How to connect.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// The cookie; `None` reads `~/.erlang.cookie`.
    pub cookie: Option<String>,
    /// The EPMD port; `None` takes `ERL_EPMD_PORT`, else 4369.
    pub epmd_port: Option<u16>,
    /// The timeout of connecting and of every call.
    pub timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            cookie: None,
            epmd_port: None,
            timeout: Duration::from_secs(30),
        }
    }
}

/// The EPMD port this process would use: `ERL_EPMD_PORT`, else 4369.
pub fn epmd_port() -> u16 {
    std::env::var("ERL_EPMD_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(erl_dist::epmd::DEFAULT_EPMD_PORT)
}

fn home_cookie() -> Result<String, DistError> {
    let home = std::env::var("HOME").map_err(|_| DistError::NoCookie("HOME is not set".into()))?;
    let path = std::path::Path::new(&home).join(".erlang.cookie");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| DistError::NoCookie(format!("{}: {e}", path.display())))?;
    Ok(text.trim().to_string())
}

/// The most parsed snippets kept (the crate evaluates a few dozen distinct ones).
const MAX_PARSED: usize = 256;

/// An open connection to one node, as a hidden node.
pub struct Connection {
    node: String,
    wire: Wire,
    /// The node's parse of each snippet evaluated so far: the same code is parsed once.
    parsed: std::collections::HashMap<String, ETerm>,
    me: Pid,
    next_ref: u32,
    timeout: Duration,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("node", &self.node)
            .finish()
    }
}

/// The handshaken socket as a blocking std socket, for [`Wire`].
fn into_std(stream: TcpStream) -> std::io::Result<std::net::TcpStream> {
    let shared: std::sync::Arc<smol::Async<std::net::TcpStream>> = stream.into();
    let inner = std::sync::Arc::try_unwrap(shared)
        .map_err(|_| std::io::Error::other("the socket is shared"))?
        .into_inner()?;
    inner.set_nonblocking(false)?;
    Ok(inner)
}

async fn within<T>(d: Duration, fut: impl std::future::Future<Output = T>) -> Option<T> {
    smol::future::or(async { Some(fut.await) }, async {
        smol::Timer::after(d).await;
        None
    })
    .await
}

impl Connection {
    /// Connects to `node` (`name@host`).
    ///
    /// # Errors
    /// A [`DistError`] that says what to fix: EPMD unreachable, an unknown name (with the
    /// names EPMD knows), a refused cookie, a timeout.
    pub fn connect(node: &str, options: &ConnectOptions) -> Result<Connection, DistError> {
        let name: NodeName = node
            .parse()
            .map_err(|_| DistError::BadNodeName(node.to_string()))?;
        let cookie = match &options.cookie {
            Some(c) => c.clone(),
            None => home_cookie()?,
        };
        let port = options.epmd_port.unwrap_or_else(epmd_port);
        let timeout = options.timeout;
        let host = name.host().to_string();
        let timed_out = |what: &str| DistError::Timeout {
            node: node.to_string(),
            secs: timeout.as_secs(),
            what: what.to_string(),
        };
        smol::block_on(async {
            let epmd = |why: String| DistError::Epmd {
                host: host.clone(),
                port,
                why,
            };
            let connect_epmd = || async {
                within(timeout, TcpStream::connect((host.as_str(), port)))
                    .await
                    .ok_or_else(|| timed_out("the EPMD lookup"))?
                    .map_err(|e| epmd(e.to_string()))
            };
            let entry = within(
                timeout,
                EpmdClient::new(connect_epmd().await?).get_node(name.name()),
            )
            .await
            .ok_or_else(|| timed_out("the EPMD lookup"))?
            .map_err(|e| epmd(e.to_string()))?;
            let Some(entry) = entry else {
                let known = within(timeout, EpmdClient::new(connect_epmd().await?).get_names())
                    .await
                    .and_then(Result::ok)
                    .unwrap_or_default();
                return Err(DistError::UnknownNode {
                    name: name.name().to_string(),
                    host: host.clone(),
                    port,
                    known: known.into_iter().map(|(n, _)| n).collect(),
                });
            };
            let stream = within(timeout, TcpStream::connect((host.as_str(), entry.port)))
                .await
                .ok_or_else(|| timed_out("connecting"))?
                .map_err(|e| DistError::Handshake {
                    node: node.to_string(),
                    why: e.to_string(),
                })?;
            // Calls are small request/response exchanges: never wait for a delayed ACK.
            let _ = stream.set_nodelay(true);
            let me_name: NodeName =
                format!("relup_{}_{}@{host}", std::process::id(), unique_suffix())
                    .parse()
                    .map_err(|_| DistError::BadNodeName(node.to_string()))?;
            let creation = Creation::random();
            let local = LocalNode::new(me_name.clone(), creation);
            let handshake_error = |e: HandshakeError, after_challenge: bool| match e {
                HandshakeError::Io(_) | HandshakeError::CookieMismatch if after_challenge => {
                    DistError::CookieRefused {
                        node: node.to_string(),
                    }
                }
                other => DistError::Handshake {
                    node: node.to_string(),
                    why: other.to_string(),
                },
            };
            let mut handshake = ClientSideHandshake::new(stream, local.clone(), &cookie);
            let status = within(
                timeout,
                handshake.execute_send_name(erl_dist::LOWEST_DISTRIBUTION_PROTOCOL_VERSION),
            )
            .await
            .ok_or_else(|| timed_out("the handshake"))?
            .map_err(|e| handshake_error(e, false))?;
            if matches!(status, HandshakeStatus::NotAllowed) {
                return Err(DistError::Handshake {
                    node: node.to_string(),
                    why: "the node does not allow the connection (not_allowed)".into(),
                });
            }
            let (connection, peer) = within(timeout, handshake.execute_rest(true))
                .await
                .ok_or_else(|| timed_out("the handshake"))?
                .map_err(|e| handshake_error(e, true))?;
            let _ = peer;
            let wire = into_std(connection)
                .and_then(Wire::new)
                .map_err(|e| DistError::Io {
                    node: node.to_string(),
                    why: e.to_string(),
                })?;
            Ok(Connection {
                node: node.to_string(),
                wire,
                parsed: std::collections::HashMap::new(),
                me: Pid::new(me_name.to_string(), 1, 0, creation.get()),
                next_ref: 1,
                timeout,
            })
        })
    }

    /// The node connected to.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The timeout of each call.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sets the timeout of later calls.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    fn lost(&self, e: impl std::fmt::Display) -> DistError {
        DistError::Io {
            node: self.node.clone(),
            why: e.to_string(),
        }
    }

    /// `rpc:call(Node, M, F, Args)` through the node's `rex`, answered within the timeout.
    ///
    /// # Errors
    /// [`DistError::BadRpc`] when the call raised, [`DistError::Timeout`], a lost connection.
    pub fn call(&mut self, m: &str, f: &str, args: Vec<ETerm>) -> Result<ETerm, DistError> {
        let what = format!("{m}:{f}/{}", args.len());
        let reference = Reference {
            node: self.me.node.clone(),
            id: vec![self.next_ref, std::process::id(), 0],
            creation: self.me.creation,
        };
        self.next_ref += 1;
        let request = tuple(vec![
            atom("call"),
            atom(m),
            atom(f),
            list(args),
            ETerm::from(self.me.clone()),
        ]);
        let message = tuple(vec![
            atom("$gen_call"),
            tuple(vec![
                ETerm::from(self.me.clone()),
                ETerm::from(reference.clone()),
            ]),
            request,
        ]);
        let send = Message::reg_send(self.me.clone(), Atom::from("rex"), message);
        let deadline = std::time::Instant::now() + self.timeout;
        self.write(send)?;
        let reply = loop {
            match self.next_message(deadline)? {
                None => {
                    return Err(DistError::Timeout {
                        node: self.node.clone(),
                        secs: self.timeout.as_secs(),
                        what,
                    });
                }
                // Anything else (a late reply to an earlier call that timed out) has
                // nobody waiting for it.
                Some(body) => {
                    if let Some([ETerm::Reference(r), reply]) = as_tuple(&body)
                        && **r == reference
                    {
                        break reply.clone();
                    }
                }
            }
        };
        let node = self.node.clone();
        if let Some([tag, reason]) = as_tuple(&reply) {
            if is_atom(tag, "badrpc") {
                return Err(DistError::BadRpc {
                    node,
                    what,
                    reason: reason.to_string(),
                });
            }
        }
        Ok(reply)
    }

    fn write(&mut self, message: Message) -> Result<(), DistError> {
        self.wire.send(message).map_err(|e| self.lost(e.0))
    }

    /// The body of the next message to this connection; `None` at `deadline`.
    fn next_message(&mut self, deadline: std::time::Instant) -> Result<Option<ETerm>, DistError> {
        self.wire.recv(deadline).map_err(|e| self.lost(e.0))
    }

    /// Evaluates Erlang expressions on the node (`erl_scan`, `erl_parse`, `erl_eval`, nothing
    /// loaded there) with the given variable bindings, and returns the value of the last.
    ///
    /// # Errors
    /// As [`Connection::call`]; a parse error in `code` is a [`DistError::BadRpc`].
    pub fn eval(&mut self, code: &str, bindings: Vec<(&str, ETerm)>) -> Result<ETerm, DistError> {
        // Evaluated inside a fun, so that the answer carries the value only, not every
        // binding the expressions made (erl_eval:exprs returns those too).
        let exprs = match self.parsed.get(code) {
            Some(exprs) => exprs.clone(),
            None => {
                let exprs = self.parse(code)?;
                if self.parsed.len() >= MAX_PARSED {
                    self.parsed.clear();
                }
                self.parsed.insert(code.to_string(), exprs.clone());
                exprs
            }
        };
        let mut bindings = bindings;
        bindings.sort_by(|a, b| a.0.cmp(b.0));
        let bindings = ETerm::from(List::from(
            bindings
                .into_iter()
                .map(|(k, v)| tuple(vec![atom(k), v]))
                .collect::<Vec<_>>(),
        ));
        let value = self.call("erl_eval", "exprs", vec![exprs, bindings])?;
        match as_tuple(&value) {
            Some([tag, v, _]) if is_atom(tag, "value") => Ok(v.clone()),
            _ => Err(self.eval_error("erl_eval:exprs/2", &value)),
        }
    }

    /// The node's parse of `code` (erl_scan, erl_parse), wrapped in a fun.
    fn parse(&mut self, code: &str) -> Result<ETerm, DistError> {
        let body = code.trim_end().trim_end_matches('.');
        let wrapped = format!("(fun() -> {body} end)().");
        let scanned = self.call("erl_scan", "string", vec![charlist(&wrapped)])?;
        let tokens = match as_tuple(&scanned) {
            Some([ok, tokens, _]) if is_atom(ok, "ok") => tokens.clone(),
            _ => return Err(self.eval_error("erl_scan:string/1", &scanned)),
        };
        let parsed = self.call("erl_parse", "parse_exprs", vec![tokens])?;
        match as_tuple(&parsed) {
            Some([ok, exprs]) if is_atom(ok, "ok") => Ok(exprs.clone()),
            _ => Err(self.eval_error("erl_parse:parse_exprs/1", &parsed)),
        }
    }

    fn eval_error(&self, what: &str, got: &ETerm) -> DistError {
        DistError::BadRpc {
            node: self.node.clone(),
            what: what.to_string(),
            reason: got.to_string(),
        }
    }
}

fn unique_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish() % 1_000_000_000
}

/// A non-negative integer term (saturating at the largest small integer).
pub fn int(n: u64) -> ETerm {
    ETerm::from(eetf::FixInteger::from(i32::try_from(n).unwrap_or(i32::MAX)))
}

/// An atom term.
pub fn atom(name: &str) -> ETerm {
    ETerm::from(Atom::from(name))
}

/// A tuple term.
pub fn tuple(items: Vec<ETerm>) -> ETerm {
    ETerm::from(Tuple::from(items))
}

/// A list term.
pub fn list(items: Vec<ETerm>) -> ETerm {
    ETerm::from(List::from(items))
}

/// A string as Erlang's list of characters.
pub fn charlist(s: &str) -> ETerm {
    list(
        s.chars()
            .map(|c| ETerm::from(eetf::FixInteger::from(c as i32)))
            .collect(),
    )
}

/// A binary term.
pub fn binary(bytes: Vec<u8>) -> ETerm {
    ETerm::from(eetf::Binary::from(bytes))
}

/// The elements of a tuple term.
pub fn as_tuple(t: &ETerm) -> Option<&[ETerm]> {
    match t {
        ETerm::Tuple(t) => Some(&t.elements),
        _ => None,
    }
}

/// True when `t` is the atom `name`.
pub fn is_atom(t: &ETerm, name: &str) -> bool {
    matches!(t, ETerm::Atom(a) if a.name == name)
}

/// The bytes of a binary term, or of a list of bytes.
pub fn bytes_of(t: &ETerm) -> Option<Vec<u8>> {
    match t {
        ETerm::Binary(b) => Some(b.bytes.clone()),
        ETerm::ByteList(b) => Some(b.bytes.clone()),
        ETerm::List(l) if l.elements.is_empty() => Some(Vec::new()),
        _ => None,
    }
}
