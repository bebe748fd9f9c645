//! Refusals of operations: stable codes, worded by the message catalogues (`messages/*.ftl`).

minimall_core::coded_enum! {
    /// Why operations refused a request.
    pub enum OpsRefusal {
        ImageEmpty = "ops.image_empty",
        ImageTooLarge = "ops.image_too_large",
        ImageType = "ops.image_type",
        SettingsNeedCatalog = "ops.settings_need_catalog",
    }
}
