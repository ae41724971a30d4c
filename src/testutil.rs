//! Builders shared by the unit tests (the integration tests have theirs in
//! `tests/it/support.rs`).

use crate::cluster::{World, WorldOptions};
use crate::controllers::manager::{ControllerManager, ManagerOptions};
use crate::scenario::Scenario;

/// A scenario from TOML text; a bad one fails the test with its diagnostics and the text.
pub fn scenario(src: &str) -> Scenario {
    crate::scenario::parse_str(src, "t.toml", &[]).unwrap_or_else(|e| panic!("{e:#}\n{src}"))
}

/// The error message of a scenario that must be refused (fails the test if it is accepted).
pub fn scenario_error(src: &str) -> String {
    match crate::scenario::parse_str(src, "t.toml", &[]) {
        Ok(_) => panic!("accepted:\n{src}"),
        Err(e) => e.to_string(),
    }
}

/// The world of a scenario given as TOML text, not started.
pub fn world(src: &str) -> World {
    World::new(scenario(src), WorldOptions::default()).unwrap()
}

/// The controller manager after a whole run of `src` (no watch side), and the world at the end.
pub fn run_controllers(src: &str) -> (ControllerManager<'static>, World) {
    let sc = scenario(src);
    let mut mgr = ControllerManager::new(&sc, &ManagerOptions::default());
    let mut world = World::new(sc, WorldOptions::default()).unwrap();
    crate::run::dispatch::run_to_end(&mut world, &mut mgr).unwrap();
    (mgr, world)
}
