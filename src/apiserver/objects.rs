//! [`super::StoredObject`] for the `crate::k8s` kinds the controllers write.
//!
//! "Identical" compares the Go JSON encoding (what the apiserver would store),
//! so `None` and an empty map/list that encode the same are the same.
//! Generation (EndpointSlice only): kubernetes :: pkg/registry/discovery/endpointslice/strategy.go ::
//! PrepareForUpdate — bump when the object outside ObjectMeta differs
//! (apiequality.Semantic.DeepEqual: nil and empty lists equal) or the labels differ.

use super::StoredObject;
use crate::k8s;
use crate::wire::json::to_vec_go;

macro_rules! meta_accessors {
    () => {
        fn namespace(&self) -> &str {
            self.metadata.namespace.as_deref().unwrap_or("")
        }
        fn name(&self) -> &str {
            self.metadata.name.as_deref().unwrap_or("")
        }
        fn set_name(&mut self, name: String) {
            self.metadata.name = Some(name);
        }
        fn generate_name(&self) -> &str {
            self.metadata.generate_name.as_deref().unwrap_or("")
        }
        fn uid(&self) -> &str {
            self.metadata.uid.as_deref().unwrap_or("")
        }
        fn set_uid(&mut self, uid: String) {
            self.metadata.uid = Some(uid).filter(|u| !u.is_empty());
        }
        fn creation_timestamp(&self) -> Option<&str> {
            self.metadata.creation_timestamp.as_deref()
        }
        fn set_creation_timestamp(&mut self, ts: Option<String>) {
            self.metadata.creation_timestamp = ts;
        }
        fn resource_version(&self) -> &str {
            self.metadata.resource_version.as_deref().unwrap_or("")
        }
        fn set_resource_version(&mut self, rv: String) {
            self.metadata.resource_version = Some(rv).filter(|r| !r.is_empty());
        }
        fn generation(&self) -> Option<i64> {
            self.metadata.generation
        }
        fn set_generation(&mut self, g: Option<i64>) {
            self.metadata.generation = g;
        }
        fn identical(&self, other: &Self) -> bool {
            to_vec_go(self) == to_vec_go(other)
        }
    };
}

impl StoredObject for k8s::EndpointSlice {
    meta_accessors!();
    fn uses_generation() -> bool {
        true
    }
    fn same_generation_content(&self, other: &Self) -> bool {
        self.address_type == other.address_type
            && self.endpoint_list() == other.endpoint_list()
            && self.port_list() == other.port_list()
            && self.metadata.labels.clone().unwrap_or_default()
                == other.metadata.labels.clone().unwrap_or_default()
    }
}

impl StoredObject for k8s::Endpoints {
    meta_accessors!();
    fn uses_generation() -> bool {
        false
    }
    fn same_generation_content(&self, _other: &Self) -> bool {
        true
    }
}
