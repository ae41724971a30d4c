//! Store behaviour pinned by the conformance README "Storage emulation".

use super::*;

#[derive(Debug, Clone, PartialEq, Default)]
struct Obj {
    ns: String,
    name: String,
    gen_name: String,
    uid: String,
    ts: Option<String>,
    rv: String,
    generation: Option<i64>,
    labels: Vec<String>,
    annotations: Vec<String>,
    body: u32,
}

impl StoredObject for Obj {
    fn namespace(&self) -> &str {
        &self.ns
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: String) {
        self.name = name;
    }
    fn generate_name(&self) -> &str {
        &self.gen_name
    }
    fn uid(&self) -> &str {
        &self.uid
    }
    fn set_uid(&mut self, uid: String) {
        self.uid = uid;
    }
    fn creation_timestamp(&self) -> Option<&str> {
        self.ts.as_deref()
    }
    fn set_creation_timestamp(&mut self, ts: Option<String>) {
        self.ts = ts;
    }
    fn resource_version(&self) -> &str {
        &self.rv
    }
    fn set_resource_version(&mut self, rv: String) {
        self.rv = rv;
    }
    fn generation(&self) -> Option<i64> {
        self.generation
    }
    fn set_generation(&mut self, g: Option<i64>) {
        self.generation = g;
    }
    fn uses_generation() -> bool {
        true
    }
    fn same_generation_content(&self, other: &Self) -> bool {
        self.labels == other.labels && self.body == other.body
    }
}

fn new_obj() -> Obj {
    Obj {
        ns: "default".into(),
        gen_name: "web-".into(),
        ..Default::default()
    }
}

/// generateName + 5 chars of the apiserver alphabet; RV from 100000001; generation 1; v4 UID.
#[test]
fn create_generates_name_uid_rv_generation() {
    let mut sh = Shared::new(1, "2026-01-05T09:00:00Z".into());
    let mut st = Store::new();
    let o = st.create(&mut sh, new_obj()).expect("create");
    assert!(o.name.starts_with("web-"));
    assert_eq!(o.name.len(), 9);
    assert!(o.name[4..].bytes().all(|c| NAME_ALPHABET.contains(&c)));
    assert_eq!(o.rv, "100000001");
    assert_eq!(o.generation, Some(1));
    assert_eq!(o.uid.len(), 36);
    assert_eq!(&o.uid[14..15], "4");
    assert_eq!(o.ts.as_deref(), Some("2026-01-05T09:00:00Z"));
    let o2 = st.create(&mut sh, new_obj()).expect("create");
    assert_eq!(o2.rv, "100000002");
    assert_eq!(st.list().len(), 2);
    assert_eq!(st.list()[0].name, o.name, "creation order");
}

/// Same seed → same names and UIDs (no OS randomness).
#[test]
fn create_is_deterministic_per_seed() {
    let run = || {
        let mut sh = Shared::new(7, "t".into());
        let mut st = Store::new();
        let o = st.create(&mut sh, new_obj()).expect("create");
        (o.name, o.uid)
    };
    assert_eq!(run(), run());
}

/// Update: identical → no-op (no RV bump); annotation-only → RV bump, same generation;
/// labels or body → generation +1; UID/creationTimestamp kept.
#[test]
fn update_generation_and_noop_rules() {
    let mut sh = Shared::new(1, "t0".into());
    let mut st = Store::new();
    let o = st.create(&mut sh, new_obj()).expect("create");
    let mut u = o.clone();
    u.uid = String::new();
    u.ts = None;
    let r = st.update(&mut sh, u.clone()).expect("update");
    assert!(!r.written);
    assert_eq!(r.object.rv, "100000001");
    u.annotations.push("a".into());
    let r = st.update(&mut sh, u.clone()).expect("update");
    assert!(r.written);
    assert_eq!(r.object.generation, Some(1));
    assert_eq!(r.object.rv, "100000002");
    assert_eq!(r.object.uid, o.uid);
    u.rv = String::new();
    u.labels.push("l".into());
    let r = st.update(&mut sh, u.clone()).expect("update");
    assert_eq!(r.object.generation, Some(2));
    u.body = 3;
    let r = st.update(&mut sh, u.clone()).expect("update");
    assert_eq!(r.object.generation, Some(3));
    // Stale resourceVersion → conflict.
    u.rv = "100000001".into();
    assert!(matches!(st.update(&mut sh, u), Err(ApiError::Conflict(_))));
}

/// Delete removes; update/delete of a missing object → NotFound; create of an existing name → AlreadyExists.
#[test]
fn delete_and_errors() {
    let mut sh = Shared::new(1, "t".into());
    let mut st = Store::new();
    let o = st.create(&mut sh, new_obj()).expect("create");
    let mut dup = new_obj();
    dup.name = o.name.clone();
    assert!(matches!(
        st.create(&mut sh, dup),
        Err(ApiError::AlreadyExists(_))
    ));
    st.delete("default", &o.name).expect("delete");
    assert!(st.is_empty());
    assert!(matches!(
        st.delete("default", &o.name),
        Err(ApiError::NotFound(_))
    ));
    assert!(matches!(st.update(&mut sh, o), Err(ApiError::NotFound(_))));
}

fn body_size(o: &Obj) -> usize {
    o.body as usize
}

/// etcd `--max-request-bytes`: an oversized create/update is refused, stores nothing and
/// consumes no resourceVersion; a versioned delete consumes one.
#[test]
fn etcd_request_limit_and_versioned_delete() {
    let mut sh = Shared::new(1, "t".into());
    let mut st: Store<Obj> = Store::with_size_limit(SizeLimit {
        max_bytes: 10,
        size: body_size,
    });
    let big = Obj {
        ns: "n".into(),
        name: "a".into(),
        body: 11,
        ..Default::default()
    };
    let err = st.create(&mut sh, big.clone()).unwrap_err();
    assert_eq!(err.to_string(), ETCD_TOO_LARGE);
    assert!(st.is_empty());
    assert_eq!(sh.peek_resource_version(), FIRST_RESOURCE_VERSION);
    let ok = st
        .create(
            &mut sh,
            Obj {
                body: 10,
                ..big.clone()
            },
        )
        .unwrap();
    assert_eq!(ok.rv, FIRST_RESOURCE_VERSION.to_string());
    let upd = Obj {
        rv: String::new(),
        ..big
    };
    assert!(matches!(
        st.update(&mut sh, upd),
        Err(ApiError::RequestTooLarge {
            size: 11,
            limit: 10
        })
    ));
    assert_eq!(st.get("n", "a").unwrap().body, 10);
    let (_, rv) = st.delete_versioned(&mut sh, "n", "a").unwrap();
    assert_eq!(rv, FIRST_RESOURCE_VERSION + 1);
    assert_eq!(sh.peek_resource_version(), FIRST_RESOURCE_VERSION + 2);
}
