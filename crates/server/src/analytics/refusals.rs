//! Refusals of analytics: stable codes, worded by the message catalogues (`messages/*.ftl`).

minimall_core::coded_enum! {
    /// Why analytics refused a request.
    pub enum AnalyticsRefusal {
        ContentType = "analytics.content_type",
        DateFormat = "analytics.date_format",
        FromAndTo = "analytics.from_and_to",
        ToBeforeFrom = "analytics.to_before_from",
        TooManyEvents = "analytics.too_many_events",
        RangeTooLong { max_days: i64 } = "analytics.range_too_long",
        ExperimentNotDraft = "analytics.experiment_not_draft",
        ExperimentNotRunning = "analytics.experiment_not_running",
        PlacementBusy = "analytics.placement_busy",
    }
}
