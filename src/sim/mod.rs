//! The discrete-event core: integer simulated time, the (time, class, seq) event queue, seeded ChaCha streams.
//!
//! * [`time`]: simulated time is a `u64` count of nanoseconds since the start of the run
//!   ([`Nanos`]). No floating-point time anywhere.
//! * [`queue`]: [`EventQueue`] orders events by `(time, class, seq)` where `class` says which
//!   subsystem scheduled it and `seq` is assigned when the event is scheduled. This is the one
//!   total order of the simulation (see its doc comment); subsystems schedule through an
//!   [`Outbox`] that the run moves into its queue after every dispatch.
//! * [`rng`]: one ChaCha stream per subsystem, derived from the scenario seed ([`Streams`]).
//! * [`hash`]: the specified stable hash (Go-map key placement, per-key seed derivation).
//! * [`digits`]: decimal digits without the formatter (numbers written in bulk).
//! * [`fenwick`]: prefix counts for uniform picks among many groups in O(log groups).
//! * [`alloc_stats`]: live-byte counting for memory measurements (feature `alloc-stats`).
//! * [`allocator`]: the binary's allocator (mimalloc, plain calls where alignment allows) and
//!   its settings (freed pages are kept, not purged).
//! * [`event_log`]: the event log writer (`--event-log`; the run's dispatcher is the one place
//!   that writes to it).

pub mod alloc_stats;
pub mod allocator;
pub mod digits;
pub mod event_log;
pub mod fenwick;
pub mod hash;
pub mod lookup_hash;
pub mod queue;
pub mod rng;
pub mod time;

pub use event_log::{EventLog, LogLine};
pub use queue::{Class, EventQueue, Outbox, Scheduled};
pub use rng::{Stream, Streams};
pub use time::{fmt_time, Nanos, NS_PER_MS, NS_PER_SEC};
