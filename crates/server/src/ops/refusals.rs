//! Refusals of operations: stable codes, worded by the message catalogues (`messages/*.ftl`).

minimall_core::coded_enum! {
    /// Why operations refused a request.
    pub enum OpsRefusal {
        ImageEmpty = "ops.image_empty",
        ImageTooLarge = "ops.image_too_large",
        ImageType = "ops.image_type",
        SettingsNeedCatalog = "ops.settings_need_catalog",
        JobNotDead { id: i64, status: String } = "ops.job_not_dead",
        TypeMismatch { found: String, declared: String } = "ops.type_mismatch",
        NotReady { failing: String } = "ops.not_ready",
    }
}
