# 拒绝原因的中文消息。消息名是原因代码，点换成连字符（text.too_long → text-too_long）；
# 参数与代码的参数一一对应（由测试核对）。金额参数（名以 _fen 结尾）已格式化为 ¥12.34。

## 任何值
value-required = 必填
text-empty = 不能为空
text-too_long = 最多 { $max } 个字符
text-too_long_bytes = 最长 { $max } 字节
text-length = 须为 { $min }–{ $max } 个字符
text-control_chars = 不能包含控制字符
text-spec_separators = 不能包含冒号或分号
text-edge_spaces = 首尾不能有空格
text-code_chars = 只能包含字母、数字、“-”、“_”和“.”
value-not_yes_no = “{ $value }”不是“是”或“否”（也可写 1/0、true/false、上架/下架）
number-out_of_range = 须在 { $min } 到 { $max } 之间
number-not_whole = “{ $value }”不是 0 到 { $max } 之间的整数
list-count = 须有 { $min } 到 { $max } 项
time-not_epoch_ms = 须为毫秒时间戳
time-not_after = 须晚于{ $other }
list-at_most = 最多 { $max } 项
list-duplicate = 重复了
value-one_of = 须为以下之一：{ $allowed }
value-ids_positive = 编号须为正数
text-no_pipe = 不能包含“|”
text-no_slash = 不能包含“/”

## 账号
username-chars = 只能包含小写字母、数字、“_”、“.”和“-”
password-only_digits = 不能全是数字
phone-invalid = 须为 11 位手机号，如 13800138000
sandbox-name_invalid = 沙箱名须为 1–32 个字母、数字、“_”或“-”

## 金额
money-negative = 不能为负数
money-too_large = 不能超过 { $max_fen }
money-range = 须在 ¥0.00 到 { $max_fen } 之间
money-not_yuan = “{ $value }”不是以元为单位的金额，如 12.50
money-at_least_one_fen = 至少 ¥0.01

## 商品
lifecycle-invalid = 须为新品、成长、成熟或衰退之一
image-not_allowed = 须为上传的图片（/uploads/文件名）或店铺 CDN 域名（{ $hosts }）上的 https 地址
image-not_allowed_no_cdn = 须为上传的图片（/uploads/文件名）；店铺未配置 CDN 域名
image-bad_chars = 不能包含空格、引号、反斜杠或尖括号
image-upload_name = 须指向一个已上传的文件 /uploads/文件名（字母、数字、“.”、“_”、“-”；不含“..”、“/”、“%”）
image-placeholder = 须为内置图片 /img/placeholder/编号.svg
image-http = 须使用 https，不能用 http
image-host_not_cdn = 域名“{ $host }”不是店铺的 CDN 域名（{ $hosts }）
image-host_no_cdn = 域名“{ $host }”不可用：店铺未配置 CDN 域名，请上传图片
image-no_path = 域名后须有路径，如 https://cdn.example.com/a.jpg
image-traversal = 不能包含“.”或“..”路径段，也不能包含编码的点或斜杠
barcode-digits = 只能包含数字 0–9
barcode-scientific = 只能包含数字 0–9（看起来是科学计数法：请把条码列设为文本格式）
barcode-length = 须为 8、12、13 或 14 位数字（GTIN-8、UPC-A、EAN-13、GTIN-14），现为 { $len } 位
barcode-check_digit = 校验位应为 { $expected }，不是 { $found }
spec-too_many_dims = 最多 { $max } 个规格
spec-same_name_as = 与 { $other } 同名
spec-values_count = 须有 1 到 { $max } 个规格值
spec-value_twice = “{ $value }”在{ $dim }中出现了两次
spec-not_pair = “{ $part }”不是“规格名:规格值”，如 颜色:红
spec-bad_name = 规格名“{ $name }”：{ $reason }
spec-bad_value = 规格值“{ $value }”：{ $reason }
spec-name_twice = 规格名“{ $name }”出现了两次
sku-none = 至少要有一个 SKU
sku-too_many = 最多 { $max } 个 SKU
sku-no_dims = 该商品没有规格
sku-one_without_dims = 没有规格的商品只能有一个 SKU
sku-spec_count = 须为 { $count } 个规格（{ $dims }）各给一个值
sku-not_a_value = “{ $value }”不是{ $dim }的规格值
sku-same_spec_as = 与 { $other } 规格相同
category-no_parent = 没有这个分类
category-cycle = 分类不能移到自己或自己的子分类下
category-too_deep = 分类最多 { $max } 级
category-sibling_name = 同级已有名为“{ $name }”的分类
banned-word_too_long = 第 { $index } 个词“{ $word }”超过 { $max } 个字符
banned-word_control = 第 { $index } 个词包含控制字符
banned-too_many = 最多 { $max } 个词
banned-found = 包含违禁词：{ $words }
showcase-link_page = 须为店铺内的页面路径，以“/”开头，如 /member（不能是后台、接口或其他网站）

## CSV 文件与单元格
csv-utf16 = 是 UTF-16（Unicode 文本）；请另存为“CSV UTF-8”或“CSV”
csv-binary = 不是文本文件；请另存为“CSV UTF-8”或“CSV”
csv-bad_utf8 = 标记为 UTF-8，但第 { $byte } 字节不是有效的 UTF-8；请重新另存为“CSV UTF-8”
csv-unknown_encoding = 既不是 UTF-8 也不是 GBK 文本；请另存为“CSV UTF-8”
csv-empty = 文件是空的；第一行须为列标题
csv-unreadable = 无法按 CSV 读取
csv-column_twice = 列“{ $header }”（{ $column }）出现了两次
csv-unknown_column = 未知的列“{ $header }”（第 { $letter } 列）；请使用模板的列标题
csv-missing_column = 缺少必需的列“{ $header }”（{ $column }）
csv-cell_count = 有 { $cells } 个单元格，但标题行有 { $width } 个
csv-cell_without_header = 第 { $letter } 列有值但没有标题
csv-sku_code_taken = SKU 编码 { $code } 已在第 { $row } 行
csv-category_levels = 有 { $levels } 级；最多 { $max } 级，如 食品/水果/橙子
csv-category_empty_level = 有空的一级；请写成 食品/水果/橙子 这样
csv-category_name_too_long = “{ $name }”超过 { $max } 个字符
csv-tag_too_long = 标签“{ $tag }”超过 { $max } 个字符
csv-tags_too_many = 有 { $count } 个标签；最多 { $max } 个
csv-image = 第 { $index } 张图片“{ $url }”：{ $reason }
csv-images_too_many = 有 { $count } 张图片；最多 { $max } 张
csv-sale_above_original = 售价高于划线价（{ $sale_fen } > { $original_fen }）
csv-product_differs = 与同一商品 { $product } 的第 { $row } 行不同；商品字段在它的每一行须相同
csv-spec_dims_differ = 规格（{ $dims }）与第 { $row } 行（{ $other_dims }）不同；商品 { $product } 的所有 SKU 须按相同顺序使用相同规格
csv-no_spec_one_sku = 商品 { $product } 没有规格，只能有一个 SKU（第 { $row } 行）
csv-same_spec_as_row = 与商品 { $product } 第 { $row } 行的规格相同
csv-dim_too_many_values = 商品 { $product } 的{ $dim }超过 { $max } 个规格值
csv-product_too_many_skus = 商品 { $product } 超过 { $max } 个 SKU

sku-sale_above_original = 售价高于划线价；如确需如此，请勾选“允许售价高于划线价”

## 促销与运费
promotion-scope_empty = 请选择全部商品，或列出商品、分类或 SKU
promotion-percent_paid = 须在 1 到 99 之间（实付价格的百分比）
promotion-percent_or_prices = 请给出折扣百分比或 SKU 价格，二选一
promotion-off_within_threshold = 须大于 0 且不超过门槛
promotion-tiers_increasing = 各档门槛须递增
promotion-repeat_one_tier = 每满减只能有一档
promotion-too_long = 活动最长 { $days } 天
coupon-validity_missing = 请给出有效期起止，或领取后有效天数
coupon-validity_both = 有效天数与有效期起止只能二选一
freight-provinces = 须列出 1 到 { $max } 个省份，每个不超过 { $name_max } 个字符

## 退款
refund-no_units = 该商品行没有件数
refund-all_refunded = 该商品行已全部退款

## 秒杀
flash-too_long = 秒杀最长 { $days } 天
flash-sku_twice = 同一规格填写了两次
flash-price_not_below_sale = 秒杀价须低于该规格售价
flash-not_enough_stock = 库存不足，最多可锁定 { $stock } 件
markdown-none = 今日没有调价建议（未滞销、未设成本价或无库存）
flash-not_started = 秒杀尚未开始
flash-ended = 秒杀已结束
flash-sold_out = 已抢光
flash-limit_reached = 已达到本场秒杀的限购数量

## 财务
finance-month = 须为年月，如 2026-12（2000-01 到 2099-12）
finance-date = 须为日期，如 2026-12-06（1970 到 9999 年）
finance-period_too_long = 结束日不能早于开始日，且最多 { $max_days } 天
finance-expense_voided = 这笔费用已作废
finance-sandbox_off = 沙箱支付未开启，没有沙箱账单可对
ledger-unbalanced = 分录不平：{ $unit } 合计为 { $sum }，应为零
ledger-unknown_account = { $account } 不是科目表中的科目
ledger-zero_amount = 分录金额不能为零
ledger-sub_ledger_control = { $account } 是明细账的总账科目，只能由对应业务变动
ledger-would_go_negative = 这笔凭证会使 { $account } 余额小于零

## 计价
pricing-not_started = 尚未开始
pricing-ended = 已结束
pricing-not_in_scope = 购物车中没有适用的商品
pricing-below_threshold = 需满 { $needed_fen } 的适用商品，购物车有 { $has_fen }
pricing-does_not_stack = 不能与{ $rule }同享
pricing-lost_to_lower_price = { $winner }价格更低
pricing-per_buyer_limit = 已达每人限购
pricing-product_forbids_coupons = 该商品不可用券
pricing-activity_forbids_coupons = { $activity }不可用券
pricing-activity_forbids_points = { $activity }不可用积分
pricing-not_first_order = 仅限首单
pricing-not_newcomer = 仅限新人
pricing-coupon_not_usable = 优惠券已使用、锁定或过期
pricing-one_coupon_of_a_kind = 每单只能用一张同类优惠券
pricing-not_enough_points = 只有 { $have } 积分可用
pricing-no_points_rule = 本店不支持积分抵现
pricing-points_capped = 本单最多使用 { $max } 积分
pricing-no_discount = 对本单没有优惠
pricing-no_delivery = 不配送到{ $province }

## 订单
order-illegal_transition = { $from }的订单不能{ $event }

## 服务
server-internal = 内部错误；请求编号可在日志中查到
server-database_unavailable = 数据库暂不可用，请稍后再试

## 导入
import-banned_word = 第 { $position } 个字处有违禁词“{ $word }”
import-sku_of_another_product = SKU 编码“{ $code }”属于另一个商品
import-sku_other_specs = 商品“{ $product }”的 SKU“{ $sku }”规格不同；请把它也列入文件
import-stock_changed = 导入期间库存有变动，请重试

## 字段
field-starts_at = 开始时间
field-valid_from = 生效时间

## 订单状态
order-status-pending_payment = 待付款
order-status-awaiting_group = 待成团
order-status-to_ship = 待发货
order-status-partially_shipped = 部分发货
order-status-shipped = 已发货
order-status-received = 已收货
order-status-completed = 已完成
order-status-cancelled = 已取消
order-status-closed = 已关闭

## 订单事件
order-event-pay = 支付
order-event-group_formed = 成团
order-event-group_failed = 拼团失败
order-event-ship_partial = 部分发货
order-event-ship_all = 全部发货
order-event-confirm_receipt = 确认收货
order-event-auto_receive = 自动确认收货
order-event-complete = 完成
order-event-cancel_by_buyer = 由买家取消
order-event-cancel_unpaid_timeout = 因超时未付款取消
order-event-cancel_by_merchant = 由商家取消
order-event-refunded_in_full = 全额退款
order-event-close = 关闭

## 计价规则的名称
rule-sale_price = 售价
rule-limited_discount = 限时折扣 { $name }
rule-first_order = 首单特价 { $name }
rule-newcomer = 新人专享 { $name }
rule-full_reduction = 满减 { $name }
rule-full_discount = 满折 { $name }
rule-flash = 秒杀 { $name }
rule-group = 拼团 { $name }
rule-member_price = 会员价 { $level }
rule-member = 会员价 会员
rule-member_free_shipping = 会员包邮 { $level }
rule-coupon = 优惠券 { $name }
rule-free_shipping_coupon = 包邮券 { $name }
rule-points = 积分抵现
rule-freight_template = 运费模板 { $name }
rule-free_shipping_over = 包邮 满{ $over_fen }

## 优惠条件
terms-every_reduction = 每满{ $threshold_fen }减{ $off_fen }，满 { $times } 次
terms-reduction = 满{ $threshold_fen }减{ $off_fen }
terms-reduction_any = 无门槛减{ $off_fen }
terms-pay_percent = 满{ $threshold_fen }付 { $percent }%
terms-pay_percent_any = 无门槛付 { $percent }%
terms-pay_percent_capped = 满{ $threshold_fen }付 { $percent }%，最多减{ $cap_fen }
terms-pay_percent_any_capped = 无门槛付 { $percent }%，最多减{ $cap_fen }

## 价格明细
quote-product_price = { $title } { $sale_fen } → { $unit_fen } ×{ $units }
quote-product_price_over_limit = { $title } { $sale_fen } → { $unit_fen } ×{ $units }，超出限购的 { $over } 件按售价
quote-shared = { $terms }，参与金额 { $amount_fen }，{ $lines } 个商品分摊
quote-points = { $used } 积分抵 { $discount_fen }（{ $per_yuan } 积分 = ¥1，最多抵应付 { $max_pct }% 即 { $max_fen }）{ $short_of_balance ->
        [1] ，积分余额 { $balance } 少于所填 { $asked }，按余额抵扣
       *[0] {""}
    }{ $only_needed ->
        [1] ，所填 { $asked } 积分中只扣抵扣所需的 { $used }
       *[0] {""}
    }
quote-free_shipping_coupon = 包邮券免运费 { $fee_fen }
quote-member_free_shipping = 会员包邮免运费 { $fee_fen }
quote-freight = { $province }，{ $units } { $by_weight ->
        [1] 克
       *[0] 件
    }，{ $has_region ->
        [1] 地区规则 { $region }
       *[0] 默认规则
    }
quote-free_over = 本模板商品 { $goods_fen } ≥ { $over_fen }

## The buyer's orders
orders-tab_and_status = 订单分类与订单状态只能二选一
orders-nothing_to_buy_again = 该订单的商品都已下架或售罄，无法再次购买
orders-cart_full = 购物车最多放 100 种商品，请先清理购物车

## 分销
distribution-not_promoter = 你还不是推广员
promoter-already = 你已经是推广员
promoter-application_pending = 申请正在审核中
promoter-barred = 推广资格已被停用
promoter-self_binding = 不能绑定自己为推广员
promoter-inactive = 该推广员已停用或未通过审核
promoter-unknown_code = 没有这个推广码
promoter-not_pending = 该申请已处理
promoter-status_changed = 推广员状态已变化，请刷新后重试
promoter-no_threshold = 自动审核须设置消费金额或会员等级门槛
distribution-out_of_range = 须在 { $min } 到 { $max } 之间
commission-above_the_whole = 直推与团长的比例合计超过 100%
commission-duplicate_product = 商品重复设置
commission-unknown_product = 没有这个商品
distribution-too_many = 最多 { $max } 项
distribution-unknown_status = 没有这个状态
withdrawal-below_minimum = 单次提现不能少于 { $min_fen }
withdrawal-above_maximum = 单次提现不能超过 { $max_fen }
withdrawal-insufficient = 可提现佣金只有 { $available_fen }
withdrawal-not_pending = 该提现申请已处理
withdrawal-inverted = 提现上限不能低于下限

## Logistics and reviews
logistics-no_such_shipment = 该订单没有这个包裹
logistics-too_many_tracks = 每个包裹最多记录 { $max } 条物流信息
logistics-time_out_of_range = 物流时间须在发货之后、不晚于现在
review-not_received = 确认收货后才能评价
review-already_reviewed = 这件商品已经评价过了
review-no_such_line = 订单中没有这件商品
review-no_such_review = 没有这条评价
review-too_many_images = 最多上传 { $max } 张图片
review-banned_word = 评价中含有违禁词“{ $word }”，请修改后再提交
## 通用
record-not_found = 找不到{ $what }
record-no_such = 没有这个{ $what }
route-none = 没有这个地址
route-method_not_allowed = 这个地址不支持该请求方法
form-bad_key = 表单已失效，请刷新页面后重新提交
idempotency-key_required = 这个请求须带 Idempotency-Key 头
idempotency-key_reused = 这个 Idempotency-Key 已用于另一个请求
idempotency-key_format = 须为 1–128 个可见 ASCII 字符
text-visible_ascii = 只能包含可见 ASCII 字符
http-json_expected = Content-Type 须为 application/json
sku-no_such_code = 没有这个编码的 SKU
sku-not_of_product = 不是这个商品的 SKU
product-choose = 请选择商品
number-at_least_one = 至少为 1
number-positive = 须为正数
number-whole = 须为整数
number-out_of_bounds = 超出范围
value-not_allowed = 不是允许的值
time-datetime_required = 请填写日期和时间
permission-page_needs_catalog = 这个页面需要商品权限
permission-page_needs_buyers = 这个页面需要买家权限
tracking_no-format = 须为 1–40 个字母、数字或“-”
points-not_enough = 积分不足
stock-delta_range = 不能为 0，绝对值最多 10000000

## 提到的事物
thing-address = 收货地址
thing-aftersale = 售后申请
thing-activity = 活动
thing-action = 操作
thing-expense = 费用
thing-promoter = 推广员
thing-withdrawal = 提现申请
thing-buyer = 买家
thing-cart_line = 购物车商品
thing-category = 分类
thing-coupon = 优惠券
thing-file = 文件
thing-flash_sale = 秒杀活动
thing-freight_template = 运费模板
thing-group = 拼团
thing-group_buy = 拼团活动
thing-image = 图片
thing-import = 导入
thing-job = 任务
thing-level = 会员等级
thing-mall_item = 积分商城商品
thing-order = 订单
thing-payment = 支付
thing-pickup_code = 提货码
thing-posting = 记账凭证
thing-product = 商品
thing-record = 记录
thing-rfm_class = RFM 分类
thing-segment = 人群
thing-showcase_item = 装修内容
thing-sku = SKU
thing-store = 门店
thing-tag = 标签
thing-user = 用户

## 商品
catalog-choose_products = 请至少选择一个商品
catalog-cost_price_column_forbidden = 你的角色不能设置成本价，请删去“成本价”列
catalog-cost_price_forbidden = 你的角色不能设置成本价
catalog-stock_change_units = 请填写变动的件数

## 运营
ops-image_empty = 图片是空的
ops-image_too_large = 图片最大 5 MB
ops-image_type = 只接受 PNG、JPEG、GIF 和 WebP 图片
ops-settings_need_catalog = 查看设置需要商品权限

## 订单
orders-already_picked_up = 这笔订单已经提货
orders-bad_ship_line = 没有这一行商品，或数量小于 1
orders-changed_meanwhile = 订单刚刚有变化，请刷新后重试
orders-choose_address = 请选择收货地址
orders-choose_spec = 请选择规格
orders-choose_store = 请选择自提门店
orders-coupon_gone = 这张优惠券已不可用
orders-no_lines = 请至少列出一行商品
orders-not_a_status = 不是订单状态
orders-not_on_shelf = 没有这个在售商品
orders-not_pickup = 这笔订单是快递配送，不是自提
orders-nothing_to_order = 没有要下单的商品：请选择商品或购物车中的商品
orders-nothing_to_ship = 没有待发货的商品了
orders-pay_expired = 这笔订单已超过付款时间
orders-payment_other_provider = 这笔支付属于另一个支付渠道
orders-pickup_code_format = 须为 12 位数字的提货码
orders-sandbox_no_secret = 通知被拒绝：未配置沙箱密钥
orders-sandbox_pay_off = 本服务器未开启沙箱支付
orders-ship_too_many = 超过了待发货的件数
orders-store_phone_hours = 电话最多 20 个字符，营业时间最多 40 个字符
orders-too_long = 太长了
orders-too_many_stores = 最多 200 个门店
orders-unsupported_event = 不支持的事件
orders-wechat_needs_openid = 请在小程序内登录后使用微信支付
orders-wechat_pay_off = 本服务器未配置微信支付

## 售后
aftersales-no_payment = 这笔订单没有可退的付款
aftersales-no_such_line = 订单里没有这一行商品
aftersales-not_shipped = 还没有发货：请申请仅退款
aftersales-units_taken = 这些件数已在另一个售后申请中

## 拼团
group_buy-changed_meanwhile = 拼团刚刚有变化，请重试
group_buy-choose_sku = 请选择规格
group_buy-stopped = 拼团活动已经停止

## 营销
promotions-activity_ended = 已结束的活动不能修改
promotions-all_claimed = 这张优惠券已被领完
promotions-coupon_changed = 优惠券刚刚被停发或领取，请刷新后重试
promotions-coupon_expired = 这张优惠券已过期
promotions-coupon_stopped = 已停发的优惠券不能修改
promotions-limit_reached = 你已领到这张优惠券的上限
promotions-not_claimable = 这张优惠券不能领取
promotions-not_in_wallet = 你的券包里没有这张优惠券
promotions-off_shelf = 这个商品已下架
promotions-too_many_templates = 最多 100 个运费模板

## 会员
members-birthday_range = 须为最近 120 年内的日期
members-coupon_limit = 你已领到这张优惠券的上限
members-coupon_not_issued = 这张优惠券已停发
members-date_format = 须为日期，如 1995-04-18
members-day_twice = 这一天出现了两次
members-days_order = 天数超出范围或没有按顺序排列
members-fewer_points = 买家的积分不够
members-ids_or_filter = 请给出 buyer_ids 或筛选条件之一
members-month_format = 须为月份，如 2026-12
members-no_such_level = 本店没有这个会员等级
members-no_such_month = 没有这个月份
members-points_granted = 这些积分已经发放过
members-segment_name_taken = 已有同名的人群
members-signed_in_today = 今天已经签到过了
members-sold_out = 已兑完
members-stock_below_zero = 库存不能变为负数
members-tag_name_taken = 已有同名的标签
members-whole_numbers = 须为整数列表
member_level-duplicate_name = 等级名称重复
member_level-duplicate_rank = 等级序号重复
member_level-no_threshold = 等级须设消费或积分门槛
member_level-not_ascending = 更高的等级要求不能低于第 { $lower_rank } 级
range-inverted = 下限不能高于上限
points-insufficient = 需要 { $needed } 积分，可用 { $available } 积分
points-not_positive = 积分数须大于 0

## 账号
accounts-admin_token_on_shop = 后台的登录凭证不能用于商城接口
accounts-buyer_token_on_admin = 买家的登录凭证不能用于管理接口
accounts-choose_user = 请选择用户
accounts-cross_site = 跨站请求被拒绝
accounts-disabled = 这个账号已停用
accounts-enrol_first = 请先开始绑定
accounts-last_owner = 最后一个在用的店主不能降级或停用
accounts-login_first = 请先登录（发送 Authorization: Bearer <token>）
accounts-login_step_expired = 这一步登录已过期或已使用，请重新登录
accounts-login_throttled = 这个地址登录失败次数太多，请稍后再试
accounts-origin_required = 用 Cookie 登录的写请求须带 Origin 头
accounts-sandbox_login_off = 本服务器未开启沙箱登录
accounts-sms_code_format = 须为短信中的 6 位数字
accounts-sms_no_code = 这个手机号没有有效的验证码，请重新获取
accounts-sms_off = 本服务器未开启短信登录
accounts-sms_too_many_wrong = 错误次数太多，请重新获取验证码
accounts-sms_too_soon = 验证码刚刚发出，请稍后再试
accounts-token_invalid = 登录凭证无效、已过期或已撤销
accounts-totp_wrong = 验证码错误：请检查手机时间后输入下一个验证码
accounts-two_factor_already_on = 两步验证已开启
accounts-two_factor_code_wrong = 验证码错误或已使用
accounts-two_factor_off = 两步验证未开启
accounts-two_factor_off_for_user = 这个用户没有开启两步验证
accounts-two_factor_on_turn_off = 两步验证已开启，请先关闭
accounts-two_factor_own_with_code = 关闭自己的两步验证须输入验证码
accounts-two_factor_reset_owner = 只有店主可以重置他人的两步验证
accounts-two_factor_rule_owner = 只有店主可以修改两步验证规则
accounts-two_factor_self_first = 请先为自己开启两步验证
accounts-wechat_code_invalid = 登录凭证无效或已过期，请重新调用 wx.login()
accounts-wechat_login_off = 未配置微信登录（wechat.appid、wechat.secret）
accounts-wechat_unreachable = 无法连接微信登录服务，请重试
accounts-wechat_unreadable = 微信登录服务的回复无法读取
accounts-wrong_code = 验证码错误
accounts-wrong_password = 用户名或密码错误

## 秒杀
flash-already_ended = 这场秒杀已经结束
flash-choose_sku = 这场秒杀有多个规格，请选择一个
flash-sale_ended = 这场秒杀已结束
flash-first_failed = 使用这个幂等键的第一次请求失败了，请重试
flash-gate_unavailable = 秒杀库存暂时无法读取
flash-in_future = 须为将来的时间
flash-need_sku = 请填写 SKU 编码
flash-not_sku_of_sale = 不是这场秒杀的 SKU
flash-shutting_down = 服务器正在关闭
flash-writer_stopped = 下单服务已停止，请重试

## 数据分析
analytics-content_type = Content-Type 须为 application/json（信标可用 text/plain）
analytics-date_format = 须为日期，如 2026-12-06
analytics-from_and_to = 请同时给出开始和结束日期，或都不给
analytics-to_before_from = 不能早于开始日期
analytics-too_many_events = 这位访客的事件太多，请稍后再发送

## 带参数的拒绝
catalog-import_problems = 文件中有 { $n } 处问题，未导入任何内容
catalog-not_enough_stock = 库存不足：可用 { $have } 件
catalog-too_many_categories = 最多 { $max } 个分类
ops-job_not_dead = 任务 { $id } 的状态是 { $status }，只有失败的任务可以重试
ops-type_mismatch = 文件是 { $found }，但 Content-Type 写的是“{ $declared }”
orders-cannot_hand_over = 订单状态为{ $status }，不能交付
orders-cannot_cancel = 订单状态为{ $status }，不能取消
orders-cannot_pay = 订单状态为{ $status }，不能支付
orders-wechat_pay_failed = 微信支付拒绝了请求或暂时无法连接，请稍后重试
orders-only_left = 只剩 { $have } 件
orders-pickup_not_ready = 提货码只能用于已付款、待提货的订单（订单状态为{ $status }）
aftersales-order_not_eligible = 订单状态为{ $status }，不能申请售后
aftersales-request_is = 该售后申请的状态为{ $status }
aftersales-units_left = 这一行商品还可退 { $available } 件
promotions-below_issued = 已发放 { $issued } 张：总量不能少于已发放数（0 为不限）
members-per_buyer_limit = 每位买家最多兑换 { $limit } 次
members-no_such_buyer = 本店没有编号为 { $id } 的买家
accounts-username_taken = 用户名“{ $username }”已被使用
flash-sku_in_other_sale = 该规格在同一时段已有其他秒杀（秒杀 #{ $other }）
flash-sku_already_in_sale = 该规格在同一时段已有其他秒杀（秒杀 #{ $other }，规格 #{ $sku }）
record-duplicate = { $what } 已存在
record-constraint = 这项更改与店铺现有的数据不符，未保存
permission-role_may_not = 你的角色（{ $role }）没有这项操作的权限

## 状态与角色
order-status-unknown = 未知状态
aftersale-status-pending = 待审核
aftersale-status-approved = 已同意
aftersale-status-returning = 退货中
aftersale-status-refunded = 已退款
aftersale-status-exchanged = 已换货
aftersale-status-rejected = 已拒绝
aftersale-status-cancelled = 已撤销
aftersale-status-unknown = 未知状态
role-owner = 店主
role-operator = 运营
role-finance = 财务
role-service = 客服
role-clerk = 店员

## 值的标签：状态、渠道、方式、操作日志
aftersale-kind-refund_only = 仅退款
aftersale-kind-return_refund = 退货退款
aftersale-kind-exchange = 换货
payment-status-pending = 待支付
payment-status-succeeded = 支付成功
payment-status-closed = 已关闭
refund-status-pending = 退款中
refund-status-succeeded = 退款成功
refund-status-failed = 退款失败
coupon-status-active = 发放中
coupon-status-stopped = 已停发
coupon-kind-amount_off = 满减券
coupon-kind-percent_off = 折扣券
coupon-kind-free_shipping = 包邮券
activity-status-active = 进行中
activity-status-ended = 已结束
flash-status-scheduled = 已排期
flash-status-stopped = 已停止
flash-status-finished = 已结束
group-buy-status-active = 进行中
group-buy-status-stopped = 已停止
group-status-open = 待成团
group-status-complete = 拼团成功
group-status-expired = 拼团失败
import-status-queued = 排队中
import-status-validating = 校验中
import-status-applying = 导入中
import-status-done = 已完成
import-status-failed = 失败
job-status-pending = 待执行
job-status-done = 已完成
job-status-dead = 已失败
outbox-status-pending = 待发送
outbox-status-sent = 已发送
outbox-status-failed = 发送失败
freight-mode-piece = 按件计费
freight-mode-weight = 按重量计费
expense-category-rent = 房租
expense-category-labour = 人工
expense-category-office = 办公
expense-category-utilities = 水电
expense-category-marketing = 推广
expense-category-logistics = 物流仓储
expense-category-other = 其他
provider-sandbox = 沙箱支付
provider-wechat = 微信支付
delivery-express = 快递配送
delivery-pickup = 到店自提
channel-direct = 直接访问
channel-search = 搜索
channel-nearby = 附近的小程序
channel-qr_poster = 海报二维码
channel-moments = 朋友圈
channel-group = 微信群
channel-official_account = 公众号
channel-ground = 地推
channel-promoter = 推广员
channel-share = 好友分享
audit-action-activity-create = 创建营销活动
audit-action-activity-end = 结束营销活动
audit-action-activity-update = 修改营销活动
audit-action-aftersale-approve = 同意售后
audit-action-aftersale-receive = 确认收到退货
audit-action-aftersale-reject = 拒绝售后
audit-action-auth-lock = 登录锁定
audit-action-auth-login = 登录
audit-action-auth-two_factor-disable = 关闭两步验证
audit-action-auth-two_factor-enable = 开启两步验证
audit-action-category-create = 新建分类
audit-action-category-delete = 删除分类
audit-action-category-update = 修改分类
audit-action-coupon-create = 创建优惠券
audit-action-coupon-push = 发放优惠券
audit-action-coupon-stop = 停发优惠券
audit-action-coupon-update = 修改优惠券
audit-action-flash_sale-create = 创建秒杀
audit-action-flash_sale-stop = 停止秒杀
audit-action-flash_sale-update = 修改秒杀
audit-action-freight-create = 新建运费模板
audit-action-freight-update = 修改运费模板
audit-action-group_buy-create = 创建拼团活动
audit-action-group_buy-stop = 停止拼团活动
audit-action-member_card-create = 新建付费会员卡
audit-action-members-levels = 修改会员等级
audit-action-members-settings = 修改会员设置
audit-action-order-ship = 订单发货
audit-action-pickup-verify = 核销提货码
audit-action-points-adjust = 调整积分
audit-action-points_mall-create = 新建积分商城商品
audit-action-points_mall-update = 修改积分商城商品
audit-action-product-create = 新建商品
audit-action-product-delete = 删除商品
audit-action-product-freight = 设置商品运费
audit-action-product-import = 导入商品
audit-action-product-skus = 修改商品规格
audit-action-product-update = 修改商品
audit-action-segment-create = 新建人群
audit-action-segment-delete = 删除人群
audit-action-segment-update = 修改人群
audit-action-settings-banned_words = 修改违禁词
audit-action-settings-payment_fees = 修改支付手续费
audit-action-settings-pricing = 修改定价设置
audit-action-settings-roles = 修改角色权限
audit-action-settings-two_factor = 修改两步验证规则
audit-action-stock-adjust = 调整库存
audit-action-store-create = 新建门店
audit-action-tag-apply = 打标签
audit-action-tag-create = 新建标签
audit-action-tag-delete = 删除标签
audit-action-user-create = 新建员工账号
audit-action-user-two_factor-reset = 重置两步验证
audit-action-user-update = 修改员工账号
actor-buyer = 买家
actor-system = 系统
actor-sandbox = 沙箱支付
actor-demo = 演示数据
actor-wechat = 微信支付
audit-field-admin_user = 账号
audit-field-all = 全部
audit-field-carrier = 快递公司
audit-field-code = 编码
audit-field-cost = 运费成本
audit-field-delta = 变动
audit-field-disabled = 停用
audit-field-ends_at = 结束时间
audit-field-ip = IP 地址
audit-field-items = 商品
audit-field-kind = 类型
audit-field-lines = 商品行
audit-field-name = 名称
audit-field-on_shelf = 上架
audit-field-parent_id = 上级分类
audit-field-points = 积分
audit-field-price = 价格
audit-field-reason = 原因
audit-field-role = 角色
audit-field-sale_price = 售价
audit-field-sort = 排序
audit-field-starts_at = 开始时间
audit-field-status = 状态
audit-field-stock = 库存
audit-field-title = 标题
audit-field-slot = 位置
audit-field-image = 图片
audit-field-href = 跳转链接
audit-field-enabled = 启用
audit-field-position = 排序
audit-action-showcase-create = 新增装修内容
audit-action-showcase-delete = 删除装修内容
audit-action-showcase-move = 调整装修内容顺序
audit-action-showcase-update = 修改装修内容
showcase-slot-carousel = 轮播图
showcase-slot-icons = 金刚区图标
showcase-link-none = 不跳转
showcase-link-product = 商品
showcase-link-category = 分类
showcase-link-flash_sale = 秒杀活动
showcase-link-coupons = 领券中心
showcase-link-page = 店铺页面
audit-field-total_quantity = 发行总量
audit-field-tracking_no = 运单号
audit-field-username = 用户名
thing-admin_user = 员工账号
thing-merchant = 店铺
audit-field-words = 违禁词
audit-field-children = 子分类
audit-field-depth = 层级
audit-field-id = 编号
audit-field-address_id = 收货地址
audit-field-aftersale_id = 售后单
audit-field-amount = 金额
audit-field-at = 时间
audit-field-balance = 余额
audit-field-buyers = 买家
audit-field-by = 操作人
audit-field-by_filter = 按条件
audit-field-changed = 已修改
audit-field-city = 市
audit-field-clerk = 核销员
audit-field-delivery = 配送方式
audit-field-detail = 详细地址
audit-field-district = 区/县
audit-field-encoding = 编码格式
audit-field-fee = 手续费
audit-field-freight_template_id = 运费模板
audit-field-group_id = 团
audit-field-hidden = 隐藏
audit-field-ids = 编号
audit-field-issued = 已发放
audit-field-mock_fill = 模拟成团
audit-field-mode = 方式
audit-field-note = 备注
audit-field-on_sale = 在售
audit-field-order_id = 订单
audit-field-order_no = 订单号
audit-field-out_refund_no = 退款单号
audit-field-out_trade_no = 支付单号
audit-field-payable = 应付
audit-field-payout = 打款方式
audit-field-per_buyer_limit = 每人限购
audit-field-phone = 手机号
audit-field-points_price = 积分价
audit-field-provider = 支付渠道
audit-field-province = 省
audit-field-quantity = 数量
audit-field-reasons = 原因
audit-field-refund = 退款
audit-field-rejected = 已驳回
audit-field-reply = 回复
audit-field-rows = 行数
audit-field-shipment_id = 包裹
audit-field-skipped = 已跳过
audit-field-sku_id = 规格
audit-field-steps = 步骤
audit-field-stock_delta = 库存变动
audit-field-store_id = 门店
audit-field-tagged = 已打标签
audit-field-text = 内容
audit-field-transaction_id = 交易号
analytics-range_too_long = 最多 { $max_days } 天
flash-unpaid_minutes = 须在 { $min } 到 { $max } 分钟之间

## Reading requests
http-body_unreadable = 无法读取请求内容
http-body_too_large = 请求内容超过 { $max_bytes } 字节
http-query_too_long = 查询字符串超过 { $max_bytes } 字节
json-malformed = JSON 格式有误（第 { $line } 行第 { $column } 列）
input-unknown_field = 不是这个请求的字段
input-missing_field = 必填
input-duplicate_field = 重复填写
input-unknown_variant = 须为以下之一：{ $allowed }
input-wrong_type = 须为{ $expected }
input-bad_length = 项数不对
input-malformed = 无效
path-not_whole = “{ $value }”不是整数编号
path-invalid = “{ $value }”在此无效
path-not_utf8 = 不是有效的 UTF-8
input-kind-whole_number = 整数
input-kind-count = 不小于 0 的整数
input-kind-number = 数字
input-kind-text = 文字
input-kind-yes_no = true 或 false
input-kind-list = 列表
input-kind-object = 对象
input-kind-value = 有效的值
catalog-category_not_empty = 分类“{ $name }”不是空的（{ $children } 个子分类，{ $products } 个商品）
orders-amount_mismatch = 通知金额 { $notified_fen } 与支付单金额 { $payment_fen } 不符
orders-notification_refused = 支付通知未通过校验
orders-choose_track_kind = 请选择发生了什么
promotions-overlaps = 与活动 #{ $id }“{ $name }”在同一时段有 { $skus } 个 SKU 重叠；允许重叠才能同时进行
ops-not_ready = 未就绪：{ $failing }
flash-redis_unavailable = 秒杀服务暂时无响应，请 { $retry_after_secs } 秒后重试
commission-changed_meanwhile = 佣金刚被修改，请重试
permission-page_needs_members = 这个页面需要会员权限
group_buy-not_started = 拼团还没开始
group_buy-ended = 拼团已结束
group_buy-sku_not_in_activity = 这个 SKU 不在拼团活动里
group_buy-group_closed = 这个团已关闭
group_buy-deadline_passed = 这个团已超时
group_buy-leader_unpaid = 团长付款后其他人才能参团
group_buy-full = 这个团已满员
group_buy-already_member = 你已经在这个团里了
group_buy-limit_reached = 你在这个拼团活动中占的名额已达上限
group_buy-group_price = 拼团价须在 ¥0.01 到原价之间
group_buy-leader_discount = 团长优惠后每个 SKU 仍须至少支付 ¥0.01
statement-row = 第 { $row } 行：{ $reason }
statement-amount = { $column }“{ $value }”不是以元为单位的金额
statement-too_many_rows = 对账单最多 { $max } 行
statement-no_column = 表头缺少“{ $column }”列
statement-few_cells = 单元格比表头少
event-kind_unknown = 不是事件类型
event-kind_server_only = 只能由服务器记录
event-field_not_allowed = 这类事件不接受这个字段
event-text = 须为 { $min } 到 { $max } 个字符，限{ $chars }
event-in_future = 比服务器时间快了超过 { $max_secs } 秒
event-too_old = 早于 { $max_days } 天前
event-chars-id = A-Z、a-z、0-9、_ 和 -
event-chars-code = a-z、0-9 和 _
event-chars-printable = 非控制字符
referral-disabled = 本店未开启邀请有礼
referral-unknown_code = 没有这个邀请码
referral-self_invite = 不能邀请自己
referral-repeated_invitee = 你已接受过邀请
referral-existing_buyer = 已下过单的老顾客不能再被邀请
referral-not_held = 该奖励不在待审核状态
referral-unknown_status = 没有这个状态
referral-no_reward = 开启邀请有礼须至少设置一项奖励
referral-unknown_coupon = 没有这张优惠券
thing-referral = 邀请记录
referral-status-invited = 已接受邀请
referral-status-rewarded = 已发放奖励
referral-status-held = 待审核
referral-status-rejected = 已驳回
referral-status-no_reward = 无奖励
referral-status-reversed = 已退回奖励
referral-reason-referral-self_invite = 自己邀请自己
referral-reason-referral-repeated_invitee = 重复被邀请
referral-reason-referral-existing_buyer = 老顾客
referral-reason-referral-not_first_order = 不是首单
referral-reason-referral-not_completed = 订单未完成
referral-reason-referral-refunded = 首单已退款
referral-reason-referral-below_minimum = 首单金额不足
referral-reason-risk-phone_shared_with_inviter = 与邀请人手机号相同
referral-reason-risk-address_shared_with_inviter = 与邀请人收货地址相同
referral-reason-risk-device_shared_with_inviter = 与邀请人设备相同
referral-reason-risk-payment_account_shared_with_inviter = 与邀请人支付账户相同
referral-reason-risk-phone_shared_by_many = 手机号被多个被邀请人共用
referral-reason-risk-address_shared_by_many = 收货地址被多个被邀请人共用
referral-reason-risk-device_shared_by_many = 设备被多个被邀请人共用
referral-reason-risk-payment_account_shared_by_many = 支付账户被多个被邀请人共用
referral-reason-risk-daily_limit = 邀请人当日奖励已达上限
audit-action-referral-settings = 修改邀请有礼规则
audit-action-referral-hold = 暂扣邀请奖励
audit-action-referral-release = 放行邀请奖励
audit-action-referral-reject = 驳回邀请奖励
audit-action-referral-reversed = 退款退回邀请奖励
audit-action-referral-no_reward = 退款取消待审核奖励
activity-state-upcoming = 未开始
activity-state-running = 进行中
activity-state-ended = 已结束
flash-state-upcoming = 即将开始
flash-state-running = 抢购中
flash-state-sold_out = 已抢光
flash-state-ended = 已结束
flash-state-stopped = 已停止
group-buy-state-upcoming = 未开始
group-buy-state-running = 进行中
group-buy-state-ended = 已结束
group-buy-state-stopped = 已停止

## Share links, QR codes and posters
share-unknown_channel = 没有这个渠道
share-campaign = 活动代码须为 1–{ $max } 个字母、数字、_ 或 -
share-promoter_code = 推广码须为 { $min }–{ $max } 个字母或数字
share-promoter_missing = 推广员渠道的链接须带推广码
share-id_not_taken = 邀请链接和推广链接不带编号
share-not_your_code = 只能生成自己推广码的链接
share-not_promoter = 成为推广员后才有推广链接
analytics-experiment_not_draft = 只有草稿状态的实验可以开始
analytics-experiment_not_running = 只有进行中的实验可以停止
analytics-placement_busy = 该推荐位已有进行中的实验，请先停止它
thing-experiment = 实验
permission-page_needs_finance = 这个页面需要财务权限
stored_value-insufficient = 余额不足：需要 { $needed_fen }，可用 { $has_fen }
stored_value-zero = 金额不能为零
stored_value-too_large = 单次调整不能超过 { $max_fen }
stored_value-unknown_kind = 调整方式只能是线下收付或补偿
audit-action-stored_value-adjust = 调整储值余额

# community groups (社群)
community-unknown_group = 没有这个社群
community-closed = 该社群已关闭
community-already_member = 你已在该社群中
community-not_member = 你还不是该社群成员
community-members_only = 这张券仅限社群成员在社群页领取
community-name_taken = 已有同名社群
community-owner_not_promoter = 群主须是本店已通过审核的推广员
community-unknown_coupon = 没有这张优惠券
community-coupon_not_linked = 这张券不是该社群的专属券
community-unknown_target = 推送内容不存在或已结束
community-unknown_status = 没有这个状态
community-status-active = 启用中
community-status-closed = 已关闭
community-push-coupon = 优惠券
community-push-flash_sale = 限时秒杀
community-push-product = 商品
audit-action-community-create = 新建社群
audit-action-community-update = 修改社群
audit-action-community-coupon_link = 设置社群专属券
audit-action-community-coupon_unlink = 取消社群专属券
audit-action-community-push = 社群推送
audit-field-owner = 群主
audit-field-coupon = 优惠券
commission-not_held = 这笔佣金不在审核中
commission-not_under_review = 这笔佣金不在审核中
commission-held = 这笔佣金正在审核中
commission-status-frozen = 冻结中
commission-status-held = 审核中
commission-status-settled = 已结算
commission-status-rejected = 已驳回
commission-hold-risk-phone_shared_with_promoter = 与推广员手机号相同
commission-hold-risk-address_shared_with_promoter = 与推广员收货地址相同
commission-hold-risk-device_shared_with_promoter = 与推广员设备相同
commission-hold-risk-payment_account_shared_with_promoter = 与推广员支付账户相同
commission-hold-risk-phone_shared_by_many = 手机号被该推广员的多个买家共用
commission-hold-risk-address_shared_by_many = 收货地址被该推广员的多个买家共用
commission-hold-risk-device_shared_by_many = 设备被该推广员的多个买家共用
commission-hold-risk-payment_account_shared_by_many = 支付账户被该推广员的多个买家共用
commission-hold-risk-daily_limit = 推广员当日订单已达上限
audit-action-commission-hold = 暂扣佣金待审核
audit-action-commission-release = 放行佣金
audit-action-commission-reject = 驳回佣金
thing-commission = 佣金
## Social growth and analytics rules (core)
share-duplicate = 同一参数只能出现一次
attribution-window_out_of_range = 须在 { $min }–{ $max } 天之间
commission-out_of_range = 须在 { $min }–{ $max } 之间
commission-too_many_overrides = 单品佣金最多设置 { $max } 个
commission-refund_not_increasing = 退款累计只能增加
commission-refund_above_paid = 退款超过该商品行的实付金额
commission-already_settled = 该佣金已结算
commission-withdrawal_not_pending = 该提现不在待打款状态
promoter_debt-above_owed = 超过推广员所欠金额
commission-not_positive = 金额须大于零
commission-posting_refused = 佣金记账被拒绝：{ $refusal }
withdrawal-rule_out_of_range = 须在 1 分到输入上限之间
withdrawal-rule_inverted = 不能低于下限
presale-out_of_range = 须在 { $min }–{ $max } 之间
presale-price_below_zero = 返利后的价格会低于 1 分
promoter-rule_out_of_range = 须在 { $min }–{ $max } 之间
referral-rule_out_of_range = 须在 { $min }–{ $max } 之间
referral-too_many_rewards = 奖励最多 { $max } 项
referral-rule_no_reward = 邀请规则须至少设置一项奖励
markdown-out_of_range = 须在 { $min }–{ $max } 之间
bands-not_ascending = 分段点须从小到大排列

## The journal's refusals of a posting (core)
posting-empty = 凭证至少需要一条金额不为零的分录
posting-mixed_units = 第 { $index } 条分录记在 { $account } 上的单位是 { $given }，该科目的单位是 { $expected }
posting-unbalanced = 分录不平：{ $unit } 合计为 { $sum }，应为零
posting-entry_out_of_range = 第 { $index } 条分录的金额超出上限
posting-invalid = { $field }：{ $reason }
posting-length = 长度须为 { $min }–{ $max } 个字符
posting-too_long = 最多 { $max } 个字符
posting-correction_by_reversal = 更正凭证须通过冲销原凭证生成
posting-not_positive = 须大于零
posting-adjustment_range = 须不为零且不超过上限
posting-fee_rate = 费率须在 0–{ $max } 个基点之间
posting-negative = 不能为负数
posting-negative_revenue = 商品行收入为负或合计溢出
posting-overflow = 金额溢出
posting-discounts_above_revenue = 优惠券和积分抵扣须不小于零且不超过收入
posting-fee_above_paid = 手续费不能超过实付金额
posting-paid_mismatch = 实付须等于各商品行实付加运费
posting-refund_mismatch = 退款须等于各商品行退款加运费
posting-fee_returned_above_refund = 退回的手续费不能超过退款
posting-not_points_out = 只能是积分过期或积分退回
posting-above_max = 不能超过 { $max }
