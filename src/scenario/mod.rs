//! Scenario files: TOML parsing with spans, defaults, validation into the resolved model.
