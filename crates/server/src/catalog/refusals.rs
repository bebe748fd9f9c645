//! Refusals of the catalog: stable codes, worded by the message catalogues (`messages/*.ftl`).

minimall_core::coded_enum! {
    /// Why the catalog refused a request.
    pub enum CatalogRefusal {
        ChooseProducts = "catalog.choose_products",
        CostPriceColumnForbidden = "catalog.cost_price_column_forbidden",
        CostPriceForbidden = "catalog.cost_price_forbidden",
        StockChangeUnits = "catalog.stock_change_units",
        ImportProblems { n: i64 } = "catalog.import_problems",
        NotEnoughStock { have: i64 } = "catalog.not_enough_stock",
        TooManyCategories { max: i64 } = "catalog.too_many_categories",
        CategoryNotEmpty { name: String, children: i64, products: i64 } = "catalog.category_not_empty",
    }
}
