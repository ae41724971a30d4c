//! [`super::StoredObject`] for the `crate::k8s` kinds the controllers write.
