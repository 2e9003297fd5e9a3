//! The connection's socket after the handshake: frames out, messages in.
//!
//! A reader thread owns the receiving side and hands each message's body to the caller
//! through a bounded channel, answering ticks and remote `io:format` requests itself. That
//! makes waiting with a timeout safe (a timeout never drops half a frame, as cancelling an
//! async read could) and cheap (one channel receive per message, which matters when ten
//! thousand processes answer at once). Writes go through one lock, so the reader's tick
//! answers never interleave with the caller's frames, and each frame goes out in one write.

use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use eetf::Term as ETerm;
use erl_dist::message::Message;

use super::dist::{as_tuple, atom, is_atom, tuple};

/// How many received messages may wait for the caller; past that the reader waits (and the
/// node's sends back up), so a flood cannot eat memory.
const QUEUE: usize = 200_000;

/// The largest frame read (a snapshot of 100,000 processes is tens of megabytes).
const MAX_FRAME: usize = 1 << 30;

/// The pass-through tag of a distribution frame.
const PASS_THROUGH: u8 = 112;

/// What the reader saw.
enum Event {
    Body(ETerm),
    Closed(String),
}

/// The two directions of a connected socket.
pub struct Wire {
    writer: Arc<Mutex<TcpStream>>,
    events: Receiver<Event>,
    closed: Option<String>,
}

/// Why the wire failed: the connection is gone (with the system's words).
#[derive(Debug)]
pub struct Lost(pub String);

impl Wire {
    /// Takes over a connected socket whose handshake is done, starting the reader thread.
    ///
    /// # Errors
    /// The socket cannot be duplicated for the reader.
    pub fn new(stream: TcpStream) -> std::io::Result<Wire> {
        stream.set_nodelay(true)?;
        let reader = stream.try_clone()?;
        let writer = Arc::new(Mutex::new(stream));
        let (tx, events) = sync_channel(QUEUE);
        let answer = Arc::clone(&writer);
        std::thread::Builder::new()
            .name("relup-dist-reader".into())
            .spawn(move || read_loop(reader, &answer, &tx))?;
        Ok(Wire {
            writer,
            events,
            closed: None,
        })
    }

    /// Writes the message's frame in one write.
    ///
    /// # Errors
    /// The connection is gone.
    pub fn send(&self, message: Message) -> Result<(), Lost> {
        let mut buf = Vec::new();
        frame(message, &mut buf)?;
        write(&self.writer, &buf)
    }

    /// The next message's body, or `None` at `deadline`.
    ///
    /// # Errors
    /// The connection is gone.
    pub fn recv(&mut self, deadline: Instant) -> Result<Option<ETerm>, Lost> {
        if let Some(why) = &self.closed {
            return Err(Lost(why.clone()));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match self.events.recv_timeout(left) {
            Ok(Event::Body(body)) => Ok(Some(body)),
            Ok(Event::Closed(why)) => {
                self.closed = Some(why.clone());
                Err(Lost(why))
            }
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(Lost("the reader stopped".into())),
        }
    }
}

impl Drop for Wire {
    fn drop(&mut self) {
        // Ends the reader thread: its read fails.
        if let Ok(stream) = self.writer.lock() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

fn frame(message: Message, buf: &mut Vec<u8>) -> Result<(), Lost> {
    let mut body = Vec::new();
    message
        .write_into(&mut body)
        .map_err(|e| Lost(e.to_string()))?;
    let len = u32::try_from(body.len() + 1).map_err(|e| Lost(e.to_string()))?;
    buf.extend_from_slice(&len.to_be_bytes());
    buf.push(PASS_THROUGH);
    buf.extend_from_slice(&body);
    Ok(())
}

fn write(writer: &Mutex<TcpStream>, bytes: &[u8]) -> Result<(), Lost> {
    let mut stream = writer
        .lock()
        .map_err(|_| Lost("a writer panicked".into()))?;
    stream
        .write_all(bytes)
        .and_then(|()| stream.flush())
        .map_err(|e| Lost(e.to_string()))
}

fn read_loop(mut reader: TcpStream, writer: &Mutex<TcpStream>, tx: &SyncSender<Event>) {
    let why = loop {
        let message = match read_message(&mut reader) {
            Ok(Some(m)) => m,
            // A tick: answer with one (an empty frame).
            Ok(None) => match write(writer, &[0, 0, 0, 0]) {
                Ok(()) => continue,
                Err(Lost(why)) => break why,
            },
            Err(why) => break why,
        };
        let body = match message {
            Message::Send(m) => m.message,
            Message::SendSender(m) => m.message,
            Message::SendTt(m) => m.message,
            Message::SendSenderTt(m) => m.message,
            Message::AliasSend(m) => m.message,
            _ => continue,
        };
        if let Some([tag, ETerm::Pid(from), reply_as, _request]) = as_tuple(&body)
            && is_atom(tag, "io_request")
        {
            // A remote io:format: answer it (and drop the output).
            let reply = tuple(vec![atom("io_reply"), reply_as.clone(), atom("ok")]);
            let mut buf = Vec::new();
            let sent = frame(Message::send(from.clone(), reply), &mut buf)
                .and_then(|()| write(writer, &buf));
            if let Err(Lost(why)) = sent {
                break why;
            }
            continue;
        }
        if tx.send(Event::Body(body)).is_err() {
            return;
        }
    };
    let _ = tx.send(Event::Closed(why));
}

/// One frame: `None` for a tick, else the message.
fn read_message(reader: &mut TcpStream) -> Result<Option<Message>, String> {
    use std::io::Read;
    let mut len = [0u8; 4];
    reader.read_exact(&mut len).map_err(|e| e.to_string())?;
    let len = u32::from_be_bytes(len) as usize;
    if len == 0 {
        return Ok(None);
    }
    if len > MAX_FRAME {
        return Err(format!("a frame of {len} bytes (more than {MAX_FRAME})"));
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).map_err(|e| e.to_string())?;
    match body.split_first() {
        Some((&PASS_THROUGH, rest)) => Message::read_from(&mut &rest[..])
            .map(Some)
            .map_err(|e| format!("an undecodable message: {e}")),
        _ => Err("a frame without the pass-through tag".into()),
    }
}
