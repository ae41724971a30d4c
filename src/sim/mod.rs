//! The discrete-event core: integer simulated time, the (time, seq) event queue, seeded ChaCha streams.
