//! Message catalogs of the pages: every visible string, by message id, in Chinese (the default) and
//! English (cookie `lang=en`). Templates ask `c.t("id")`; nothing user-facing is written in a template.

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

/// The message in `lang`; an unknown id shows as `?` (the tests check that every id used exists).
pub fn t(lang: Lang, key: &str) -> &'static str {
    match catalog().get(key) {
        Some((zh, en)) => match lang {
            Lang::Zh => zh,
            Lang::En => en,
        },
        None => "?",
    }
}

pub fn has(key: &str) -> bool {
    catalog().contains_key(key)
}

fn catalog() -> &'static HashMap<&'static str, (&'static str, &'static str)> {
    static C: OnceLock<HashMap<&'static str, (&'static str, &'static str)>> = OnceLock::new();
    C.get_or_init(|| MESSAGES.iter().map(|(k, zh, en)| (*k, (*zh, *en))).collect())
}

/// (id, 中文, English)
pub const MESSAGES: &[(&str, &str, &str)] = &[
    // common
    ("common.add", "新增", "Add"),
    ("common.all", "全部", "All"),
    ("common.delete", "删除", "Delete"),
    ("common.edit", "编辑", "Edit"),
    ("common.filter", "筛选", "Filter"),
    ("common.id", "ID", "ID"),
    ("common.next", "下一页", "Next"),
    ("common.prev", "上一页", "Previous"),
    ("common.no", "否", "No"),
    ("common.yes", "是", "Yes"),
    ("common.none", "暂无数据", "Nothing here yet"),
    ("common.save", "保存", "Save"),
    ("common.saved", "已保存", "Saved"),
    ("common.submit", "提交", "Submit"),
    ("common.total", "共", "Total"),
    ("common.update", "更新", "Update"),
    ("common.view", "查看", "View"),
    // order statuses
    ("status.pending_payment", "待付款", "Awaiting payment"),
    ("status.paid", "已支付", "Paid"),
    ("status.awaiting_group", "待成团", "Awaiting group"),
    ("status.to_ship", "待发货", "To ship"),
    ("status.partially_shipped", "部分发货", "Partially shipped"),
    ("status.shipped", "已发货", "Shipped"),
    ("status.received", "已收货", "Received"),
    ("status.completed", "已完成", "Completed"),
    ("status.cancelled", "已取消", "Cancelled"),
    ("status.closed", "已关闭", "Closed"),
    // after-sales
    ("aftersale.refund_only", "仅退款", "Refund only"),
    ("aftersale.return_refund", "退货退款", "Return and refund"),
    ("aftersale.exchange", "换货", "Exchange"),
    ("aftersale.s.pending", "待审核", "Pending"),
    ("aftersale.s.approved", "已同意", "Approved"),
    ("aftersale.s.returning", "退货中", "Returning"),
    ("aftersale.s.refunded", "已退款", "Refunded"),
    ("aftersale.s.exchanged", "已换货", "Exchanged"),
    ("aftersale.s.rejected", "已拒绝", "Rejected"),
    ("aftersale.s.cancelled", "已撤销", "Withdrawn"),
    // roles, lifecycle
    ("role.owner", "店主", "Owner"),
    ("role.operator", "运营", "Operator"),
    ("role.finance", "财务", "Finance"),
    ("role.service", "客服", "Customer service"),
    ("role.clerk", "店员", "Store clerk"),
    ("lifecycle.new", "新品", "New"),
    ("lifecycle.growing", "成长期", "Growing"),
    ("lifecycle.mature", "成熟期", "Mature"),
    ("lifecycle.declining", "衰退期", "Declining"),
    // storefront
    ("shop.name", "Minimall 小程序商城", "Minimall"),
    ("shop.home", "首页", "Home"),
    ("shop.categories", "分类", "Categories"),
    ("shop.cart", "购物车", "Cart"),
    ("shop.me", "我的", "Me"),
    ("shop.search", "搜索", "Search"),
    ("shop.search_placeholder", "搜索商品", "Search products"),
    ("shop.welcome", "欢迎光临，新人下单享专属优惠", "Welcome! New buyers get a first-order price"),
    ("shop.flash_sales", "限时秒杀", "Flash sales"),
    ("shop.no_flash_sales", "暂无秒杀活动，敬请期待", "No flash sales right now"),
    ("shop.recommended", "为你推荐", "Recommended"),
    ("shop.login", "登录", "Log in"),
    ("shop.logout", "退出登录", "Log out"),
    ("shop.free_shipping", "包邮", "Free shipping"),
    ("shop.all_categories", "全部分类", "All categories"),
    ("shop.sort_default", "综合", "Default"),
    ("shop.sort_sales", "销量", "Best selling"),
    ("shop.sort_newest", "新品", "Newest"),
    ("shop.sort_price_asc", "价格从低到高", "Price: low to high"),
    ("shop.sort_price_desc", "价格从高到低", "Price: high to low"),
    ("shop.results", "件商品", "products"),
    ("shop.nothing_found", "没有找到相关商品", "No products found"),
    ("shop.default_spec", "默认规格", "Standard"),
    ("shop.sold", "已售", "Sold"),
    ("shop.limit", "每人限购", "Limit per buyer"),
    ("shop.choose_spec", "选择规格", "Choose an option"),
    ("shop.sold_out", "已售罄", "Sold out"),
    ("shop.stock", "库存", "Stock"),
    ("shop.quantity", "数量", "Quantity"),
    ("shop.add_to_cart", "加入购物车", "Add to cart"),
    ("shop.buy_now", "立即购买", "Buy now"),
    ("shop.details", "商品详情", "Details"),
    ("shop.share", "分享给好友", "Share"),
    ("shop.invite", "邀请好友", "Invite friends"),
    ("shop.demo_login_hint", "演示模式：选择一位演示买家登录", "Demo mode: choose a demo buyer to log in as"),
    ("shop.login_in_miniprogram", "请在小程序中登录", "Please log in through the mini-program"),
    ("shop.my_orders", "我的订单", "My orders"),
    ("shop.my_aftersales", "退款/售后", "Refunds and returns"),
    ("shop.my_coupons", "我的优惠券", "My coupons"),
    ("shop.my_points", "我的积分", "My points"),
    ("shop.cart_empty", "购物车是空的", "Your cart is empty"),
    ("shop.unavailable", "已失效", "Unavailable"),
    ("shop.selected", "已选", "Selected"),
    ("shop.not_selected", "不选", "Not selected"),
    ("shop.selected_amount", "合计", "Total"),
    ("shop.checkout", "去结算", "Checkout"),
    ("shop.new_address", "新增收货地址", "New delivery address"),
    ("shop.addr_name", "收货人", "Recipient"),
    ("shop.addr_phone", "手机号", "Mobile number"),
    ("shop.addr_province", "省", "Province"),
    ("shop.addr_city", "市", "City"),
    ("shop.addr_district", "区/县", "District"),
    ("shop.addr_detail", "详细地址", "Street address"),
    ("shop.address", "收货地址", "Delivery address"),
    ("shop.coupon", "优惠券", "Coupon"),
    ("shop.no_coupon", "不使用优惠券", "No coupon"),
    ("shop.best", "最优", "best"),
    ("shop.points_use", "积分抵扣", "Points"),
    ("shop.balance", "可用", "available"),
    ("shop.recalculate", "重新计算", "Recalculate"),
    ("shop.list_total", "商品原价", "List price"),
    ("shop.shipping", "运费", "Shipping"),
    ("shop.payable", "实付款", "To pay"),
    ("shop.not_applied", "未生效的优惠", "Offers that did not apply"),
    ("shop.remark", "订单备注", "Note to the seller"),
    ("shop.place_order", "提交订单", "Place order"),
    ("shop.all", "全部", "All"),
    ("shop.no_orders", "还没有订单", "No orders yet"),
    ("shop.order", "订单", "Order"),
    ("shop.payment_confirming", "支付结果确认中…", "Confirming payment…"),
    ("shop.pickup_code", "自提码", "Pick-up code"),
    ("shop.shipped_qty", "已发", "shipped"),
    ("shop.refunded_qty", "已退", "refunded"),
    ("shop.goods_total", "商品金额", "Goods"),
    ("shop.order_discount", "活动优惠", "Promotion"),
    ("shop.refunded", "已退款", "Refunded"),
    ("shop.created_at", "下单时间", "Ordered"),
    ("shop.paid_at", "支付时间", "Paid"),
    ("shop.shipped_at", "发货时间", "Shipped"),
    ("shop.received_at", "收货时间", "Received"),
    ("shop.pay", "去支付", "Pay"),
    ("shop.cancel_order", "取消订单", "Cancel order"),
    ("shop.confirm_receipt", "确认收货", "Confirm receipt"),
    ("shop.request_aftersale", "申请售后", "Request a refund or return"),
    ("shop.pay_before", "请在此时间前支付：", "Pay before"),
    ("shop.sandbox_pay_hint", "演示支付：不会产生真实扣款", "Sandbox payment: no real money moves"),
    ("shop.sandbox_pay", "确认支付（沙箱）", "Pay (sandbox)"),
    ("shop.pay_in_miniprogram", "请在小程序中完成支付", "Please pay in the mini-program"),
    ("shop.aftersale_kind", "售后类型", "Type"),
    ("shop.bought", "购买", "bought"),
    ("shop.aftersale_reason", "请描述原因", "Tell us why"),
    ("shop.threshold", "满", "Orders over"),
    ("shop.valid_until", "有效期至", "Valid until"),
    ("shop.claimable", "领券中心", "Coupons to claim"),
    ("shop.claim", "领取", "Claim"),
    ("shop.points_per_yuan", "积分可抵 ¥1", "points = ¥1"),
    // console
    ("admin.name", "Minimall 管理后台", "Minimall console"),
    ("admin.login", "登录", "Log in"),
    ("admin.logout", "退出", "Log out"),
    ("admin.storefront", "查看商城", "Storefront"),
    ("admin.wrong_login", "用户名或密码错误", "Wrong username or password"),
    ("admin.too_many_logins", "登录失败次数过多，请稍后再试", "Too many failed logins; try again later"),
    (
        "admin.demo_hint",
        "演示账号：admin（店主）、operator（运营）、finance（财务）、service（客服）、clerk（店员），密码见启动日志",
        "Demo users: admin, operator, finance, service, clerk; the password is printed at start-up",
    ),
    ("menu.dashboard", "概览", "Dashboard"),
    ("menu.products", "商品管理", "Products"),
    ("menu.import", "导入导出", "Import / export"),
    ("menu.stock", "库存预警", "Stock alerts"),
    ("menu.categories", "商品分类", "Categories"),
    ("menu.activities", "营销活动", "Promotions"),
    ("menu.coupons", "优惠券", "Coupons"),
    ("menu.flash", "限时秒杀", "Flash sales"),
    ("menu.orders", "订单管理", "Orders"),
    ("menu.aftersales", "售后处理", "After-sales"),
    ("menu.stores", "门店自提", "Stores"),
    ("menu.pickup", "核销", "Pick-up verification"),
    ("menu.buyers", "会员管理", "Buyers"),
    ("menu.finance", "财务报表", "Finance"),
    ("menu.users", "账号与角色", "Users and roles"),
    ("menu.settings", "系统设置", "Settings"),
    ("menu.audit", "操作日志", "Audit log"),
    ("dash.gmv", "成交额 GMV", "GMV"),
    ("dash.paid_orders", "支付订单数", "Paid orders"),
    ("dash.buyers", "下单买家数", "Buyers"),
    ("dash.aov", "客单价", "Average order value"),
    ("dash.today", "今日", "today"),
    ("dash.week", "近7天", "last 7 days"),
    ("dash.gmv_7d", "近7天成交额", "GMV, last 7 days"),
    ("dash.low_stock", "库存预警", "Low-stock alerts"),
    ("dash.open_aftersales", "待处理售后", "After-sales to handle"),
    ("fin.intro", "近30天按支付日统计（北京时间）", "Last 30 days by payment day (Beijing time)"),
    ("fin.day", "日期", "Day"),
    ("fin.received", "收款", "Received"),
    ("fin.fee", "支付手续费", "Payment fees"),
    ("fin.refunded", "退款", "Refunds"),
    ("fin.net", "净收入", "Net"),
    ("prod.code", "商品编码", "Code"),
    ("prod.title", "商品名称", "Title"),
    ("prod.subtitle", "副标题", "Subtitle"),
    ("prod.price", "售价", "Price"),
    ("prod.sales", "销量", "Sales"),
    ("prod.shelf", "上架状态", "Shelf"),
    ("prod.on", "上架", "On shelf"),
    ("prod.off", "下架", "Off shelf"),
    ("prod.shelf_on", "批量上架", "Put on shelf"),
    ("prod.shelf_off", "批量下架", "Take off shelf"),
    ("prod.bulk", "勾选商品后：", "With the ticked products:"),
    ("prod.search", "名称/编码", "Title or code"),
    ("prod.category", "分类", "Category"),
    ("prod.low_stock", "仅看库存预警", "Low stock only"),
    ("prod.export", "导出 CSV", "Export CSV"),
    ("prod.edit", "编辑商品", "Edit product"),
    ("prod.images", "图片（每行一个地址）", "Images (one URL per line)"),
    ("prod.description", "商品详情（HTML）", "Description (HTML)"),
    ("prod.tags", "标签（逗号分隔）", "Tags (comma separated)"),
    ("prod.lifecycle", "生命周期", "Lifecycle"),
    ("prod.purchase_limit", "每人限购（0 不限）", "Limit per buyer (0 = none)"),
    ("prod.earns_points", "送积分", "Earns points"),
    ("prod.coupons_usable", "可用优惠券", "Coupons usable"),
    ("prod.sku_matrix", "规格与 SKU", "Specifications and SKUs"),
    ("prod.specs", "规格维度（每行：名称: 值1, 值2）", "Spec dimensions (one per line: name: v1, v2)"),
    ("prod.sku", "规格", "Specification"),
    ("prod.sku_code", "SKU 编码", "SKU code"),
    ("prod.barcode", "条码", "Barcode"),
    ("prod.original_price", "划线价（元）", "Original price (¥)"),
    ("prod.sale_price", "售价（元）", "Sale price (¥)"),
    ("prod.cost_price", "成本价（元）", "Cost (¥)"),
    ("prod.weight", "重量（克）", "Weight (g)"),
    ("prod.new_sku", "新 SKU 编码", "New SKU code"),
    (
        "prod.matrix_hint",
        "规格值用 / 分隔，顺序与规格维度一致；清空编码即删除该 SKU；库存改动会记录为手工调整。",
        "Separate spec values with /, in the order of the dimensions; clear a code to delete that SKU; a changed stock is recorded as a manual adjustment.",
    ),
    ("import.intro", "上传 Excel 另存的 CSV（UTF-8 或 GBK 均可）。先试导入检查每一行，全部无误后再正式导入；有错误的文件不会导入任何一行。", "Upload a CSV saved from Excel (UTF-8 or GBK). Check it with a dry run first; a file with any error imports nothing."),
    ("import.file", "CSV 文件", "CSV file"),
    ("import.dry_run", "试导入（检查）", "Dry run (check)"),
    ("import.run", "正式导入", "Import"),
    ("import.row", "行", "Row"),
    ("import.column", "列", "Column"),
    ("import.message", "问题", "Problem"),
    ("import.ok", "检查通过，可以正式导入", "No problems: ready to import"),
    ("import.bad", "发现错误，请修改后重新上传", "Problems found: fix them and upload again"),
    ("import.running", "正在导入…", "Importing…"),
    ("import.done", "导入完成", "Import finished"),
    ("import.failed", "导入失败", "Import failed"),
    ("stock.current", "当前库存", "Stock"),
    ("stock.threshold", "安全库存", "Safety stock"),
    ("stock.opened", "预警时间", "Alert since"),
    ("stock.adjust", "补货", "Restock"),
    ("stock.intro", "库存低于安全库存的 SKU；每次调整都会记录库存流水。", "SKUs at or below their safety stock; every change is recorded as a stock movement."),
    ("stock.show_all", "查看全部预警", "All alerts"),
    ("stock.show_open", "只看未解决", "Open alerts only"),
    ("cat.name", "名称", "Name"),
    ("cat.level", "层级", "Level"),
    ("cat.sort", "排序", "Sort"),
    ("cat.new", "新增分类", "New category"),
    ("cat.parent", "上级分类", "Parent"),
    ("cat.top", "（顶级）", "(top level)"),
    ("act.name", "活动名称", "Name"),
    ("act.kind", "类型", "Type"),
    ("act.window", "时间", "When"),
    ("act.coupons", "可用券", "Coupons allowed"),
    ("act.limit", "每人限购", "Per-buyer limit"),
    ("act.state", "状态", "State"),
    ("act.end", "结束", "End"),
    ("act.kind.limited_discount", "限时折扣", "Limited-time discount"),
    ("act.kind.first_order", "首单特价", "First-order price"),
    ("act.kind.newcomer", "新人专享", "Newcomer price"),
    ("act.kind.full_reduction", "满减", "Spend and save"),
    ("act.kind.full_discount", "满折", "Spend and get % off"),
    ("act.state.upcoming", "未开始", "Upcoming"),
    ("act.state.running", "进行中", "Running"),
    ("act.state.ended", "已结束", "Ended"),
    ("cp.name", "名称", "Name"),
    ("cp.kind", "类型", "Type"),
    ("cp.rule", "面额/门槛", "Value"),
    ("cp.issued", "已发/总量", "Issued / total"),
    ("cp.per_buyer", "每人限领", "Per buyer"),
    ("cp.status", "状态", "Status"),
    ("cp.stop", "停发", "Stop"),
    ("cp.kind.amount_off", "满减券", "Amount off"),
    ("cp.kind.percent_off", "折扣券", "Percent off"),
    ("cp.kind.free_shipping", "包邮券", "Free shipping"),
    ("flash.quantity", "秒杀数量", "Quantity"),
    ("flash.none", "暂无秒杀活动。", "No flash sales."),
    ("order.no", "订单号", "Order no."),
    ("order.buyer", "买家ID", "Buyer"),
    ("order.goods", "商品", "Goods"),
    ("order.payable", "实付", "Paid"),
    ("order.status", "状态", "Status"),
    ("order.created", "下单时间", "Created"),
    ("order.export", "导出订单 CSV", "Export orders CSV"),
    ("order.detail", "订单详情", "Order"),
    ("order.qty", "数量", "Qty"),
    ("order.unit", "成交价", "Unit price"),
    ("order.paid", "分摊实付", "Paid (apportioned)"),
    ("order.shipped", "已发", "Shipped"),
    ("order.refunded", "已退", "Refunded"),
    ("order.payment", "支付", "Payment"),
    ("order.shipment", "物流", "Shipment"),
    ("order.ship", "发货", "Ship"),
    ("order.carrier", "快递公司", "Carrier"),
    ("order.tracking", "运单号", "Tracking no."),
    ("order.timeline", "订单时间线", "Timeline"),
    ("as.kind", "类型", "Type"),
    ("as.reason", "原因", "Reason"),
    ("as.amount", "退款金额", "Refund"),
    ("as.approve", "同意", "Approve"),
    ("as.reject", "拒绝", "Reject"),
    ("as.received", "确认收到退货", "Return received"),
    ("store.name", "门店名称", "Store"),
    ("store.address", "地址", "Address"),
    ("store.phone", "电话", "Phone"),
    ("store.hours", "营业时间", "Hours"),
    ("store.active", "启用", "Active"),
    ("store.new", "新增门店", "New store"),
    ("pickup.intro", "输入买家出示的自提码完成核销。", "Enter the pick-up code the buyer shows."),
    ("pickup.verify", "核销", "Verify"),
    ("pickup.code", "自提码", "Pick-up code"),
    ("pickup.done", "核销成功", "Verified"),
    ("pickup.next", "继续核销", "Verify another"),
    ("buyer.nickname", "昵称", "Nickname"),
    ("buyer.phone", "手机号", "Phone"),
    ("buyer.channel", "来源渠道", "Channel"),
    ("buyer.joined", "注册时间", "Joined"),
    ("buyer.search", "昵称/手机号", "Nickname or phone"),
    ("user.username", "用户名", "Username"),
    ("user.display", "姓名", "Name"),
    ("user.password", "密码", "Password"),
    ("user.role", "角色", "Role"),
    ("user.state", "状态", "State"),
    ("user.new", "新增账号", "New user"),
    ("user.enabled", "正常", "Active"),
    ("user.disabled", "已停用", "Disabled"),
    ("user.enable", "启用", "Enable"),
    ("user.disable", "停用", "Disable"),
    (
        "user.intro",
        "角色决定可见菜单与可执行操作：店主全部；运营管商品、活动、订单；财务看报表与日志；客服处理订单与售后；店员仅核销。",
        "The role decides what one sees and may do: owner everything; operator catalog, promotions and orders; finance reports and the audit log; service orders and after-sales; clerk pick-up only.",
    ),
    ("audit.at", "时间", "When"),
    ("audit.actor", "操作人", "Who"),
    ("audit.action", "操作", "Action"),
    ("audit.target", "对象", "Target"),
    ("audit.change", "变更", "Change"),
    ("set.payments", "支付方式", "Payment providers"),
    ("set.sandbox", "沙箱支付（演示）", "Sandbox (demo)"),
    ("set.wechat_pay", "微信支付", "WeChat Pay"),
    ("set.on", "开启", "On"),
    ("set.off", "关闭", "Off"),
    ("set.configured", "已配置", "Configured"),
    ("set.not_configured", "未配置", "Not configured"),
    ("set.payments_hint", "支付商户号与密钥在服务器配置文件中设置，不在页面上显示。", "Merchant ids and keys are set in the server configuration and never shown here."),
    ("set.freight", "运费模板", "Freight templates"),
    ("set.mode", "方式", "Mode"),
    ("set.free_over", "满额包邮", "Free over"),
    ("set.no_delivery", "不配送地区", "No delivery to"),
    ("set.banned", "违禁词（广告法）", "Banned words (advertising law)"),
    ("set.block", "拦截", "Block"),
    ("set.warn", "仅提示", "Warn only"),
    ("set.words", "自定义词（每行一个）", "Extra words (one per line)"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_translated() {
        let mut seen = std::collections::HashSet::new();
        for (k, zh, en) in MESSAGES {
            assert!(seen.insert(*k), "duplicate message id {k}");
            assert!(!zh.is_empty() && !en.is_empty(), "{k} lacks a translation");
        }
    }

    /// Every `c.t("…")` in the templates and the page code names a message of the catalog.
    #[test]
    fn every_used_id_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut texts = Vec::new();
        fn walk(p: &std::path::Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(p).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, out)
                } else {
                    out.push(std::fs::read_to_string(&p).unwrap());
                }
            }
        }
        walk(std::path::Path::new(dir), &mut texts);
        texts.push(include_str!("console.rs").to_string());
        texts.push(include_str!("shop.rs").to_string());
        let mut missing = Vec::new();
        // Ids written as plain literals in the page code (menus, table heads).
        const PREFIXES: &[&str] = &[
            "menu.", "dash.", "prod.", "stock.", "cat.", "act.", "cp.", "order.", "as.", "store.", "buyer.", "user.",
            "audit.", "fin.", "common.", "flash.", "pickup.",
        ];
        for text in &texts[texts.len() - 2..] {
            for lit in text.split('"').skip(1).step_by(2) {
                let looks_like_id = PREFIXES.iter().any(|p| lit.starts_with(p))
                    && !lit.ends_with('.')
                    && lit.bytes().all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_');
                if looks_like_id && !has(lit) {
                    missing.push(lit.to_string());
                }
            }
        }
        for text in &texts {
            for part in text.split(".t(\"").skip(1) {
                let id = part.split('"').next().unwrap();
                if !has(id) {
                    missing.push(id.to_string());
                }
            }
        }
        assert!(missing.is_empty(), "message ids without a catalog entry: {missing:?}");
    }
}
