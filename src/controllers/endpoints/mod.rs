//! Endpoints controller (pkg/controller/endpoint): the monolithic baseline.

pub mod truncate;
