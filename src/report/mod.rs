//! Output writing: atomic files, CSV, summaries, run manifests.
