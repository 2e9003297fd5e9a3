//! The runtime operations low-level instructions need, as a trait: a live node, a recording
//! backend, or the [`super::SimulatedRuntime`]. Only [`super::execute`] interprets
//! instructions; a backend only performs operations. No single operation has a default body,
//! so a new backend cannot skip one silently; the group operations default to the single ones.

use crate::instr::{Atom, LowLevel, Mfa, Mode, SyncTarget, Timeout};
use crate::term::Term;

/// A process identifier as the node prints its own processes, `<0.Number.Serial>`: the
/// simulator numbers its processes (serial 0); a live node's are its real ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pid {
    /// The process number.
    pub number: u32,
    /// The serial.
    pub serial: u32,
}

impl Pid {
    /// `<0.number.0>`.
    pub fn new(number: u32) -> Pid {
        Pid { number, serial: 0 }
    }
}

/// A pid serializes as Erlang prints it (`"<0.81.0>"`).
impl serde::Serialize for Pid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl std::fmt::Display for Pid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<0.{}.{}>", self.number, self.serial)
    }
}

/// A supervised child: its supervisor and child id (what `supervisor:restart_child` takes).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChildRef {
    /// The supervisor.
    pub supervisor: Pid,
    /// The child id.
    pub id: Atom,
}

/// A runtime that can carry out what low-level relup instructions ask for.
pub trait Loader {
    /// What an operation fails with.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Called before instruction `index` is evaluated (a live node may log it; the simulator
    /// places injected faults by it).
    fn instruction(&mut self, index: usize, instruction: &LowLevel) -> Result<(), Self::Error>;
    /// `load_object_code`: reads the modules' object code of `application`-`vsn` (not loaded).
    fn read_object_code(
        &mut self,
        application: &Atom,
        vsn: &Term<'static>,
        modules: &[Atom],
    ) -> Result<(), Self::Error>;
    /// Whether any process still executes old code of `module` (the soft_purge pre-check).
    fn has_old_processes(&mut self, module: &Atom) -> Result<bool, Self::Error>;
    /// `point_of_no_return`: switches the code path to the new libraries.
    fn point_of_no_return(&mut self) -> Result<(), Self::Error>;
    /// Loads the object code read for `module`: purges its old code first (killing processes
    /// still in it); the current code becomes old.
    fn load(&mut self, module: &Atom) -> Result<(), Self::Error>;
    /// `code:soft_purge`: removes old code when no process runs it; `false` when one does.
    fn soft_purge(&mut self, module: &Atom) -> Result<bool, Self::Error>;
    /// `code:purge`: removes old code, killing processes that run it; `true` if any died.
    fn purge(&mut self, module: &Atom) -> Result<bool, Self::Error>;
    /// `code:delete`: the current code becomes old; no current version remains.
    fn delete(&mut self, module: &Atom) -> Result<(), Self::Error>;
    /// The processes of the supervision trees that use `module` (child-spec modules, or the
    /// modules a `dynamic` child reports).
    fn processes_using(&mut self, module: &Atom) -> Result<Vec<Pid>, Self::Error>;
    /// `sys:suspend(Pid, Timeout)`.
    fn suspend(&mut self, pid: Pid, timeout: Timeout) -> Result<(), Self::Error>;
    /// `sys:change_code(Pid, Module, Vsn, Extra, Timeout)` on a suspended process.
    fn code_change(
        &mut self,
        pid: Pid,
        module: &Atom,
        mode: Mode,
        extra: &Term<'static>,
        timeout: Timeout,
    ) -> Result<(), Self::Error>;
    /// `sys:resume(Pid)`.
    fn resume(&mut self, pid: Pid) -> Result<(), Self::Error>;
    /// Suspends the processes of one module, each result in `pids`' order. By default one at a
    /// time with [`Loader::suspend`]; a backend where each call is a round trip (a live node)
    /// suspends them together, which shortens the time they stay suspended.
    fn suspend_group(&mut self, pids: &[Pid], timeout: Timeout) -> Vec<Result<(), Self::Error>> {
        pids.iter().map(|p| self.suspend(*p, timeout)).collect()
    }
    /// Code-changes the processes of one module; the results in order, ending at the first
    /// failure (release_handler stops there). By default one at a time.
    fn code_change_group(
        &mut self,
        pids: &[Pid],
        module: &Atom,
        mode: Mode,
        extra: &Term<'static>,
        timeout: Timeout,
    ) -> Vec<Result<(), Self::Error>> {
        let mut out = Vec::with_capacity(pids.len());
        for p in pids {
            let r = self.code_change(*p, module, mode, extra, timeout);
            let failed = r.is_err();
            out.push(r);
            if failed {
                break;
            }
        }
        out
    }
    /// Resumes the processes of one module. By default one at a time.
    fn resume_group(&mut self, pids: &[Pid]) -> Vec<Result<(), Self::Error>> {
        pids.iter().map(|p| self.resume(*p)).collect()
    }
    /// `supervisor:terminate_child` for every supervised child using `module`; the children
    /// stopped.
    fn stop_children(&mut self, module: &Atom) -> Result<Vec<ChildRef>, Self::Error>;
    /// `supervisor:restart_child` for a child stopped by `stop_children`.
    fn restart_child(&mut self, child: &ChildRef) -> Result<(), Self::Error>;
    /// `apply(M, F, A)`.
    fn apply(&mut self, mfa: &Mfa) -> Result<(), Self::Error>;
    /// `sync_nodes`: waits until the other nodes reach the same point.
    fn sync_nodes(&mut self, id: &Term<'static>, target: &SyncTarget) -> Result<(), Self::Error>;
    /// Restarts the emulator: `new_emulator` for `restart_new_emulator` (first instruction,
    /// new erts and core applications), otherwise `restart_emulator` (end of the script).
    fn restart_emulator(&mut self, new_emulator: bool) -> Result<(), Self::Error>;
}
