//! Endpoints controller (pkg/controller/endpoint): the monolithic baseline.
