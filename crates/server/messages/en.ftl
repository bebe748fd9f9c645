# English messages of refusals. A message's name is the reason's code with dots as hyphens
# (text.too_long → text-too_long); its variables are exactly the code's parameters (a test checks).
# Money parameters (names ending in _fen) arrive formatted as ¥12.34.

## Any value
value-required = is required
text-empty = must not be empty
text-too_long = must be at most { $max } characters
text-too_long_bytes = must be at most { $max } bytes
text-length = must be { $min } to { $max } characters
text-control_chars = must not contain control characters
text-spec_separators = must not contain ':' or ';'
text-edge_spaces = must not start or end with spaces
text-code_chars = may contain only letters, digits, '-', '_' and '.'
value-not_yes_no = '{ $value }' is not 是 or 否 (1/0, true/false, 上架/下架 also work)
number-out_of_range = must be between { $min } and { $max }
number-not_whole = '{ $value }' is not a whole number from 0 to { $max }
list-count = must have { $min } to { $max } items
time-not_epoch_ms = must be epoch milliseconds
time-not_after = must be after { $other }
list-at_most = at most { $max } items
list-duplicate = appears twice
value-one_of = must be one of { $allowed }
value-ids_positive = ids must be positive
text-no_pipe = must not contain '|'
text-no_slash = must not contain '/'

## Accounts
username-chars = may contain only lower-case letters, digits, '_', '.' and '-'
password-only_digits = must not be only digits
phone-invalid = must be an 11-digit mobile number such as 13800138000
sandbox-name_invalid = sandbox name must be 1 to 32 letters, digits, '_' or '-'

## Money
money-negative = must not be negative
money-too_large = must be at most { $max_fen }
money-range = must be between ¥0.00 and { $max_fen }
money-not_yuan = '{ $value }' is not an amount in yuan such as 12.50
money-at_least_one_fen = must be at least ¥0.01

## Catalog
lifecycle-invalid = must be one of new, growing, mature, declining (新品, 成长, 成熟, 衰退)
image-not_allowed = must be an uploaded image (/uploads/<file name>) or an https URL on one of the shop's CDN hosts ({ $hosts })
image-not_allowed_no_cdn = must be an uploaded image (/uploads/<file name>); the shop has no CDN hosts configured (cdn_hosts)
image-bad_chars = must not contain spaces, quotes, backslashes or angle brackets
image-upload_name = must name one uploaded file, /uploads/<name> (letters, digits, '.', '_', '-'; no '..', no '/', no '%')
image-placeholder = must be a built-in picture /img/placeholder/<number>.svg
image-http = must use https, not http
image-host_not_cdn = is on host '{ $host }', which is not one of the shop's CDN hosts ({ $hosts })
image-host_no_cdn = is on host '{ $host }', but the shop has no CDN hosts configured (cdn_hosts); upload the image instead
image-no_path = must have a path after the host, such as https://cdn.example.com/a.jpg
image-traversal = must not contain '.' or '..' segments or encoded dots and slashes
barcode-digits = must contain only digits 0-9
barcode-scientific = must contain only digits 0-9 (it looks like a number in scientific notation: format the barcode column as text)
barcode-length = must be 8, 12, 13 or 14 digits (GTIN-8, UPC-A, EAN-13, GTIN-14), not { $len }
barcode-check_digit = check digit should be { $expected }, not { $found }
spec-too_many_dims = at most { $max } spec dimensions
spec-same_name_as = same name as { $other }
spec-values_count = must have 1 to { $max } values
spec-value_twice = '{ $value }' appears twice in { $dim }
spec-not_pair = '{ $part }' is not name:value such as 颜色:红
spec-bad_name = spec name '{ $name }': { $reason }
spec-bad_value = spec value '{ $value }': { $reason }
spec-name_twice = spec name '{ $name }' appears twice
sku-none = at least one SKU
sku-too_many = at most { $max } SKUs
sku-no_dims = the product has no spec dimensions
sku-one_without_dims = a product without spec dimensions has exactly one SKU
sku-spec_count = must have one value for each of the { $count } spec dimensions ({ $dims })
sku-not_a_value = '{ $value }' is not a value of { $dim }
sku-same_spec_as = same spec as { $other }
category-no_parent = no such category
category-cycle = a category cannot move under itself or its descendants
category-too_deep = categories are at most { $max } levels deep
category-sibling_name = a sibling category is already named '{ $name }'
banned-word_too_long = word { $index } '{ $word }' is longer than { $max } characters
banned-word_control = word { $index } contains a control character
banned-too_many = at most { $max } words
banned-found = contains banned words: { $words }
showcase-link_page = must be a storefront path starting with “/”, such as /member (not the console, the API or another site)

## CSV files and cells
csv-utf16 = is UTF-16 (Unicode text); save it as CSV UTF-8 or CSV
csv-binary = is not a text file; save it as CSV UTF-8 or CSV
csv-bad_utf8 = is marked as UTF-8 but byte { $byte } is not valid UTF-8; save it again as CSV UTF-8
csv-unknown_encoding = is neither UTF-8 nor GBK text; save it as CSV UTF-8
csv-empty = the file is empty; the first row must be the column headers
csv-unreadable = cannot be read as CSV
csv-column_twice = column { $header } ({ $column }) appears twice
csv-unknown_column = unknown column '{ $header }' (column { $letter }); use the template's headers
csv-missing_column = required column { $header } ({ $column }) is missing
csv-cell_count = has { $cells } cells but the header has { $width }
csv-cell_without_header = column { $letter } has a value but no header
csv-sku_code_taken = SKU code { $code } is already on row { $row }
csv-category_levels = has { $levels } levels; at most { $max }, such as 食品/水果/橙子
csv-category_empty_level = has an empty level; write levels such as 食品/水果/橙子
csv-category_name_too_long = '{ $name }' is longer than { $max } characters
csv-tag_too_long = tag '{ $tag }' is longer than { $max } characters
csv-tags_too_many = has { $count } tags; at most { $max }
csv-image = image { $index } '{ $url }': { $reason }
csv-images_too_many = has { $count } images; at most { $max }
csv-sale_above_original = sale_price above original_price ({ $sale_fen } > { $original_fen })
csv-product_differs = differs from row { $row } of the same product { $product }; product fields must be the same on all its rows
csv-spec_dims_differ = spec dimensions ({ $dims }) differ from row { $row } ({ $other_dims }); all SKUs of product { $product } use the same dimensions in the same order
csv-no_spec_one_sku = product { $product } has no spec, so it has only one SKU (row { $row })
csv-same_spec_as_row = same spec as row { $row } of product { $product }
csv-dim_too_many_values = { $dim } of product { $product } has more than { $max } values
csv-product_too_many_skus = product { $product } has more than { $max } SKUs

sku-sale_above_original = sale price is above the original price; set price_above_original to allow it

## Promotions and freight
promotion-scope_empty = set all, or list products, categories or skus
promotion-percent_paid = must be between 1 and 99 (percent of the price paid)
promotion-percent_or_prices = give either percent or prices
promotion-off_within_threshold = must be above 0 and not above the threshold
promotion-tiers_increasing = tiers must be in increasing order
promotion-repeat_one_tier = a repeating reduction has exactly one tier
promotion-too_long = an activity runs at most { $days } days
coupon-validity_missing = give valid_from and valid_until, or valid_days
coupon-validity_both = give either valid_days or a window, not both
freight-provinces = list 1 to { $max } province names of at most { $name_max } characters

## Refunds
refund-no_units = the line has no units
refund-all_refunded = every unit of this line has already been refunded

## Flash sales
flash-too_long = a flash sale lasts at most { $days } days
flash-sku_twice = this SKU is listed twice
flash-price_not_below_sale = must be below the SKU's sale price
flash-not_enough_stock = not enough stock: at most { $stock } can be set aside
markdown-none = has no markdown suggested today (not a slow mover, no cost price, or nothing in stock)
flash-not_started = this flash sale has not started yet
flash-ended = this flash sale has ended
flash-sold_out = sold out
flash-limit_reached = you have reached the purchase limit of this flash sale

## Finance
finance-month = must be a month YYYY-MM (2000-01 to 2099-12)
finance-date = must be a date YYYY-MM-DD between 1970 and 9999
finance-period_too_long = must be on or after the first day, at most { $max_days } days later
finance-expense_voided = this expense was voided already
finance-sandbox_off = the sandbox provider is off: there is no sandbox bill to reconcile
ledger-unbalanced = the { $unit } entries sum to { $sum }, not zero
ledger-unknown_account = { $account } is not an account of the chart
ledger-zero_amount = an entry needs an amount other than zero
ledger-sub_ledger_control = { $account } is the control account of a sub-ledger: only its own records move it
ledger-would_go_negative = the posting would take { $account } below zero

## Pricing
pricing-not_started = not started yet
pricing-ended = has ended
pricing-not_in_scope = no product in the cart is in its scope
pricing-below_threshold = needs { $needed_fen } of eligible goods, the cart has { $has_fen }
pricing-does_not_stack = does not stack with { $rule }
pricing-lost_to_lower_price = { $winner } gives a lower price
pricing-per_buyer_limit = per-buyer limit reached
pricing-product_forbids_coupons = the product does not take coupons
pricing-activity_forbids_coupons = { $activity } does not allow coupons
pricing-activity_forbids_points = { $activity } does not allow points
pricing-not_first_order = only for a first order
pricing-not_newcomer = only for new buyers
pricing-coupon_not_usable = the coupon is used, locked or expired
pricing-one_coupon_of_a_kind = only one coupon of this kind per order
pricing-not_enough_points = only { $have } points available
pricing-no_points_rule = this shop does not take points
pricing-points_capped = at most { $max } points on this order
pricing-no_discount = takes nothing off this order
pricing-no_delivery = no delivery to { $province }

## Orders
order-illegal_transition = an order that is { $from } cannot be { $event }

## Server
server-internal = internal error; the request id identifies it in the logs
server-database_unavailable = database unavailable, try again

## Imports
import-banned_word = banned word '{ $word }' at position { $position }
import-sku_of_another_product = SKU code '{ $code }' belongs to another product
import-sku_other_specs = product '{ $product }' has SKU '{ $sku }' with other specs; list it in the file too
import-stock_changed = stock changed while importing; try again

## Fields
field-starts_at = the start
field-valid_from = valid_from

## Order statuses
order-status-pending_payment = awaiting payment
order-status-awaiting_group = awaiting its group
order-status-to_ship = to ship
order-status-partially_shipped = partially shipped
order-status-shipped = shipped
order-status-received = received
order-status-completed = completed
order-status-cancelled = cancelled
order-status-closed = closed

## Order events
order-event-pay = paid
order-event-group_formed = grouped
order-event-group_failed = failed as a group
order-event-ship_partial = shipped in part
order-event-ship_all = shipped in full
order-event-confirm_receipt = confirmed as received
order-event-auto_receive = received automatically
order-event-complete = completed
order-event-cancel_by_buyer = cancelled by the buyer
order-event-cancel_unpaid_timeout = cancelled for non-payment
order-event-cancel_by_merchant = cancelled by the merchant
order-event-refunded_in_full = refunded in full
order-event-close = closed

## Names of pricing rules
rule-sale_price = sale price
rule-limited_discount = limited-time discount { $name }
rule-first_order = first-order price { $name }
rule-newcomer = newcomer price { $name }
rule-full_reduction = spend and save { $name }
rule-full_discount = spend and pay less { $name }
rule-flash = flash sale { $name }
rule-group = group buy { $name }
rule-member_price = member price { $level }
rule-member = member price
rule-member_free_shipping = member free shipping { $level }
rule-coupon = coupon { $name }
rule-free_shipping_coupon = free-shipping coupon { $name }
rule-points = points
rule-freight_template = freight template { $name }
rule-free_shipping_over = free shipping over { $over_fen }

## Terms of reductions and coupons
terms-every_reduction = { $off_fen } off every { $threshold_fen }, { $times } times
terms-reduction = { $off_fen } off from { $threshold_fen }
terms-reduction_any = { $off_fen } off
terms-pay_percent = pay { $percent }% from { $threshold_fen }
terms-pay_percent_any = pay { $percent }%
terms-pay_percent_capped = pay { $percent }% from { $threshold_fen }, at most { $cap_fen } off
terms-pay_percent_any_capped = pay { $percent }%, at most { $cap_fen } off

## Steps of a price
quote-product_price = { $title } { $sale_fen } → { $unit_fen } ×{ $units }
quote-product_price_over_limit = { $title } { $sale_fen } → { $unit_fen } ×{ $units }; { $over } beyond the per-buyer limit at the sale price
quote-shared = { $terms } on { $amount_fen } of goods, shared by { $lines } items
quote-points = { $used } points for { $discount_fen } ({ $per_yuan } points = ¥1, at most { $max_pct }% of the amount due, { $max_fen }){ $short_of_balance ->
        [1] ; the balance of { $balance } is below the { $asked } asked, so the balance is used
       *[0] {""}
    }{ $only_needed ->
        [1] ; of the { $asked } asked only the { $used } needed are spent
       *[0] {""}
    }
quote-free_shipping_coupon = the free-shipping coupon takes off { $fee_fen }
quote-member_free_shipping = the level ships free, taking off { $fee_fen }
quote-freight = { $province }, { $units } { $by_weight ->
        [1] g
       *[0] pieces
    }, { $has_region ->
        [1] region rule { $region }
       *[0] default rule
    }
quote-free_over = goods of this template { $goods_fen } ≥ { $over_fen }

## The buyer's orders
orders-tab_and_status = Give a tab or a status, not both
orders-nothing_to_buy_again = None of this order's products is on sale any more
orders-cart_full = The cart holds at most 100 products: remove some first

## Distribution
distribution-not_promoter = you are not a promoter
promoter-already = you are a promoter already
promoter-application_pending = your application is being reviewed
promoter-barred = your promoter status is suspended
promoter-self_binding = you cannot bind yourself as your promoter
promoter-inactive = this promoter is suspended or not approved
promoter-unknown_code = no promoter has this code
promoter-not_pending = the application has been decided already
promoter-status_changed = the promoter's status changed; reload and try again
promoter-no_threshold = an automatic rule needs a spend or a level threshold
distribution-out_of_range = must be from { $min } to { $max }
commission-above_the_whole = the two tiers' percentages add up to more than 100 %
commission-duplicate_product = the product appears twice
commission-unknown_product = no such product
distribution-too_many = at most { $max }
distribution-unknown_status = no such status
withdrawal-below_minimum = a withdrawal is at least { $min_fen }
withdrawal-above_maximum = a withdrawal is at most { $max_fen }
withdrawal-insufficient = only { $available_fen } is available to withdraw
withdrawal-not_pending = the withdrawal has been decided already
withdrawal-inverted = the maximum is below the minimum

## Logistics and reviews
logistics-no_such_shipment = The order has no such parcel
logistics-too_many_tracks = A parcel holds at most { $max } tracking entries
logistics-time_out_of_range = The time must be after the parcel shipped and not in the future
review-not_received = Confirm receipt before reviewing
review-already_reviewed = This product has been reviewed already
review-no_such_line = The order has no such line
review-no_such_review = No such review
review-too_many_images = At most { $max } images
review-banned_word = The review contains the banned word "{ $word }"
## Common
record-not_found = { $what } not found
record-no_such = no such { $what }
route-none = no such route
route-method_not_allowed = method not allowed on this route
form-bad_key = bad form key
idempotency-key_required = this request needs an Idempotency-Key header
idempotency-key_reused = this Idempotency-Key was used with a different request
idempotency-key_format = must be 1 to 128 visible ASCII characters
text-visible_ascii = must be visible ASCII
http-json_expected = expected Content-Type: application/json
sku-no_such_code = no SKU with this code
sku-not_of_product = not a SKU of this product
product-choose = choose a product
number-at_least_one = must be at least 1
number-positive = must be positive
number-whole = must be a whole number
number-out_of_bounds = is out of range
value-not_allowed = is not one of the allowed values
time-datetime_required = give a date and time
permission-page_needs_catalog = this page needs the catalog permission
permission-page_needs_buyers = this page needs the buyers permission
tracking_no-format = must be 1 to 40 letters, digits or '-'
points-not_enough = not enough points
stock-delta_range = must be non-zero and at most 10000000 in size

## Things named in messages
thing-address = address
thing-aftersale = after-sales request
thing-activity = activity
thing-action = action
thing-expense = expense
thing-promoter = promoter
thing-withdrawal = withdrawal
thing-buyer = buyer
thing-cart_line = cart line
thing-category = category
thing-coupon = coupon
thing-file = file
thing-flash_sale = flash sale
thing-freight_template = freight template
thing-group = group
thing-group_buy = group buy
thing-image = image
thing-import = import
thing-job = job
thing-level = level
thing-mall_item = points mall item
thing-order = order
thing-payment = payment
thing-pickup_code = pick-up code
thing-posting = posting
thing-product = product
thing-record = record
thing-rfm_class = RFM class
thing-segment = segment
thing-showcase_item = showcase entry
thing-sku = SKU
thing-store = store
thing-tag = tag
thing-user = user

## The catalog
catalog-choose_products = choose at least one product
catalog-cost_price_column_forbidden = this role may not set cost prices; leave out the 成本价 column
catalog-cost_price_forbidden = this role may not set cost prices
catalog-stock_change_units = give the change in units

## Operations
ops-image_empty = the image is empty
ops-image_too_large = images are at most 5 MB
ops-image_type = only PNG, JPEG, GIF and WebP images are accepted
ops-settings_need_catalog = reading settings needs the catalog permission

## Orders
orders-already_picked_up = this order was already picked up
orders-bad_ship_line = unknown line or quantity below 1
orders-changed_meanwhile = the order changed meanwhile; reload it
orders-choose_address = choose a delivery address
orders-choose_spec = choose a specification
orders-choose_store = choose a store for pick-up
orders-coupon_gone = this coupon is no longer available
orders-no_lines = list at least one line
orders-not_a_status = is not an order status
orders-not_on_shelf = no such product on the shelf
orders-not_pickup = this order is delivered, not picked up
orders-nothing_to_order = nothing to order: give items or select cart lines
orders-nothing_to_ship = nothing left to ship
orders-pay_expired = the time to pay this order has passed
orders-payment_other_provider = payment belongs to another provider
orders-pickup_code_format = must be the 12 digits of the pick-up code
orders-sandbox_no_secret = notification refused: no sandbox secret
orders-sandbox_pay_off = sandbox payment is disabled on this server
orders-ship_too_many = more units than remain to ship
orders-store_phone_hours = phone at most 20 and hours at most 40 characters
orders-too_long = is too long
orders-too_many_stores = at most 200 stores
orders-unsupported_event = unsupported event
orders-wechat_needs_openid = log in through the mini-program to pay with WeChat
orders-wechat_pay_off = WeChat Pay is not configured on this server

## After-sales
aftersales-no_payment = the order has no payment to refund
aftersales-no_such_line = no such line in this order
aftersales-not_shipped = nothing has shipped yet: ask for a refund only
aftersales-units_taken = these units are already under another request

## Group buying
group_buy-changed_meanwhile = the group changed meanwhile; try again
group_buy-choose_sku = choose a SKU
group_buy-stopped = the group buy is already stopped

## Promotions
promotions-activity_ended = an ended activity cannot change
promotions-all_claimed = all of these coupons have been claimed
promotions-coupon_changed = the coupon was stopped or claimed meanwhile; read it again
promotions-coupon_expired = this coupon has expired
promotions-coupon_stopped = a stopped coupon cannot change
promotions-limit_reached = you already hold as many of these as allowed
promotions-not_claimable = this coupon cannot be claimed
promotions-not_in_wallet = no such coupon in your wallet
promotions-off_shelf = this product is off the shelf
promotions-too_many_templates = at most 100 freight templates

## Members
members-birthday_range = must be a date in the last 120 years
members-coupon_limit = you hold as many of this coupon as one buyer may
members-coupon_not_issued = this coupon is no longer issued
members-date_format = must be a date such as 1995-04-18
members-day_twice = day appears twice
members-days_order = days out of range or out of order
members-fewer_points = the buyer has fewer points
members-ids_or_filter = give either buyer_ids or a filter
members-month_format = must be a month such as 2026-12
members-no_such_level = no such level in this shop
members-no_such_month = no such month
members-points_granted = these points were granted already
members-segment_name_taken = a segment with this name exists
members-signed_in_today = already signed in today
members-sold_out = sold out
members-stock_below_zero = stock would fall below zero
members-tag_name_taken = a tag with this name exists
members-whole_numbers = must list whole numbers
member_level-duplicate_name = the name appears twice
member_level-duplicate_rank = the rank appears twice
member_level-no_threshold = a level needs a spend or a points threshold
member_level-not_ascending = a higher level must ask at least as much as level { $lower_rank }
range-inverted = the lower bound is above the upper
points-insufficient = needs { $needed } points, has { $available }
points-not_positive = the amount of points must be above 0

## Accounts
accounts-admin_token_on_shop = a console token cannot be used on the shop API
accounts-buyer_token_on_admin = a buyer token cannot be used on the admin API
accounts-choose_user = choose a user
accounts-cross_site = cross-site request refused
accounts-disabled = this account is disabled
accounts-enrol_first = start enrolment first
accounts-last_owner = the last active owner cannot be demoted or disabled
accounts-login_first = log in first: send Authorization: Bearer <token>
accounts-login_step_expired = this login step expired or was used; log in again
accounts-login_throttled = too many failed logins from this address; wait before trying again
accounts-origin_required = cookie-authenticated writes need an Origin header
accounts-sandbox_login_off = sandbox login is disabled on this server
accounts-sms_code_format = must be the 6 digits from the SMS
accounts-sms_no_code = no valid code for this phone; request a new one
accounts-sms_off = SMS login is disabled on this server
accounts-sms_too_many_wrong = too many wrong codes; request a new one
accounts-sms_too_soon = a code was sent moments ago; wait before asking again
accounts-token_invalid = token is invalid, expired or revoked
accounts-totp_wrong = the code is wrong; check the time on your phone and try the next one
accounts-two_factor_already_on = two-factor login is already on
accounts-two_factor_code_wrong = the code is wrong or was already used
accounts-two_factor_off = two-factor login is not on
accounts-two_factor_off_for_user = two-factor login is not on for this user
accounts-two_factor_on_turn_off = two-factor login is already on; turn it off first
accounts-two_factor_own_with_code = turn off your own two-factor login with a code
accounts-two_factor_reset_owner = only the owner may reset another user's two-factor login
accounts-two_factor_rule_owner = only the owner may change the two-factor rule
accounts-two_factor_self_first = turn on two-factor login for yourself first
accounts-wechat_code_invalid = the login code is invalid or expired; call wx.login() again
accounts-wechat_login_off = WeChat login is not configured (wechat.appid, wechat.secret)
accounts-wechat_unreachable = WeChat login service unreachable, try again
accounts-wechat_unreadable = WeChat login service gave an unreadable answer
accounts-wrong_code = wrong code
accounts-wrong_password = wrong username or password

## Flash sales
flash-already_ended = this flash sale has already ended
flash-choose_sku = this flash sale has several SKUs: choose one
flash-sale_ended = this flash sale has ended
flash-first_failed = the first request with this key failed; retry
flash-gate_unavailable = flash gate could not be loaded
flash-in_future = must be in the future
flash-need_sku = give the SKU code
flash-not_sku_of_sale = not a SKU of this flash sale
flash-shutting_down = the server is shutting down
flash-writer_stopped = the order writer stopped; retry

## Analytics
analytics-content_type = expected Content-Type: application/json (or text/plain from a beacon)
analytics-date_format = a date as YYYY-MM-DD
analytics-from_and_to = give both from and to, or neither
analytics-to_before_from = must not be before from
analytics-too_many_events = too many events from this visitor: send them later

## Refusals with parameters
catalog-import_problems = { $n } problems in the file; nothing was imported
catalog-not_enough_stock = not enough stock: { $have } available
catalog-too_many_categories = at most { $max } categories
ops-job_not_dead = job { $id } is { $status }, only dead jobs can be retried
ops-type_mismatch = the file is { $found } but Content-Type says '{ $declared }'
orders-cannot_hand_over = the order is { $status } and cannot be handed over
orders-cannot_cancel = the order is { $status } and cannot be cancelled
orders-cannot_pay = the order is { $status } and cannot be paid
orders-wechat_pay_failed = WeChat Pay refused or is unreachable; try again shortly
orders-only_left = only { $have } left
orders-pickup_not_ready = the code is usable only for a paid order waiting for pick-up (the order is { $status })
aftersales-order_not_eligible = after-sales is not available for an order that is { $status }
aftersales-request_is = the request is { $status }
aftersales-units_left = only { $available } units of this line can still be refunded
promotions-below_issued = { $issued } already issued: give at least that many, or 0 for no limit
members-per_buyer_limit = at most { $limit } per buyer
members-no_such_buyer = no buyer { $id } in this shop
accounts-username_taken = username '{ $username }' is taken
flash-sku_in_other_sale = flash sale { $other } sells the same SKU at that time
flash-sku_already_in_sale = SKU { $sku } is already in flash sale { $other } at that time
record-duplicate = { $what } already exists
record-constraint = this change does not fit the shop's data and was not saved
permission-role_may_not = role '{ $role }' may not do this

## Statuses and roles
order-status-unknown = unknown
aftersale-status-pending = pending
aftersale-status-approved = approved
aftersale-status-returning = returning
aftersale-status-refunded = refunded
aftersale-status-exchanged = exchanged
aftersale-status-rejected = rejected
aftersale-status-cancelled = cancelled
aftersale-status-unknown = unknown
role-owner = owner
role-operator = operator
role-finance = finance
role-service = customer service
role-clerk = store clerk

## Labels of values: statuses, channels, modes, audit actions
aftersale-kind-refund_only = refund only
aftersale-kind-return_refund = return and refund
aftersale-kind-exchange = exchange
payment-status-pending = pending
payment-status-succeeded = succeeded
payment-status-closed = closed
refund-status-pending = pending
refund-status-succeeded = succeeded
refund-status-failed = failed
coupon-status-active = active
coupon-status-stopped = stopped
coupon-kind-amount_off = amount off
coupon-kind-percent_off = percent off
coupon-kind-free_shipping = free shipping
activity-status-active = active
activity-status-ended = ended
flash-status-scheduled = scheduled
flash-status-stopped = stopped
flash-status-finished = finished
group-buy-status-active = active
group-buy-status-stopped = stopped
group-status-open = Waiting for members
group-status-complete = Group complete
group-status-expired = Group failed
import-status-queued = queued
import-status-validating = validating
import-status-applying = applying
import-status-done = done
import-status-failed = failed
job-status-pending = pending
job-status-done = done
job-status-dead = dead
outbox-status-pending = pending
outbox-status-sent = sent
outbox-status-failed = failed
freight-mode-piece = by piece
freight-mode-weight = by weight
expense-category-rent = Rent
expense-category-labour = Labour
expense-category-office = Office
expense-category-utilities = Utilities
expense-category-marketing = Marketing
expense-category-logistics = Logistics and warehousing
expense-category-other = Other
provider-sandbox = sandbox
provider-wechat = WeChat Pay
delivery-express = express delivery
delivery-pickup = pick-up in store
channel-direct = direct
channel-search = search
channel-nearby = nearby
channel-qr_poster = poster QR code
channel-moments = Moments
channel-group = group chat
channel-official_account = official account
channel-ground = street promotion
channel-promoter = promoter
channel-share = shared link
audit-action-activity-create = create activity
audit-action-activity-end = end activity
audit-action-activity-update = update activity
audit-action-aftersale-approve = approve after-sales
audit-action-aftersale-receive = receive return
audit-action-aftersale-reject = reject after-sales
audit-action-auth-lock = login locked
audit-action-auth-login = log in
audit-action-auth-two_factor-disable = turn off two-factor login
audit-action-auth-two_factor-enable = turn on two-factor login
audit-action-category-create = create category
audit-action-category-delete = delete category
audit-action-category-update = update category
audit-action-coupon-create = create coupon
audit-action-coupon-push = push coupon
audit-action-coupon-stop = stop coupon
audit-action-coupon-update = update coupon
audit-action-flash_sale-create = create flash sale
audit-action-flash_sale-stop = stop flash sale
audit-action-flash_sale-update = update flash sale
audit-action-freight-create = create freight template
audit-action-freight-update = update freight template
audit-action-group_buy-create = create group buy
audit-action-group_buy-stop = stop group buy
audit-action-member_card-create = create paid membership card
audit-action-members-levels = update member levels
audit-action-members-settings = update member settings
audit-action-order-ship = ship order
audit-action-pickup-verify = verify pick-up code
audit-action-points-adjust = adjust points
audit-action-points_mall-create = create points mall item
audit-action-points_mall-update = update points mall item
audit-action-product-create = create product
audit-action-product-delete = delete product
audit-action-product-freight = set product freight
audit-action-product-import = import products
audit-action-product-skus = update SKUs
audit-action-product-update = update product
audit-action-segment-create = create segment
audit-action-segment-delete = delete segment
audit-action-segment-update = update segment
audit-action-settings-banned_words = update banned words
audit-action-settings-payment_fees = update payment fees
audit-action-settings-pricing = update pricing settings
audit-action-settings-roles = update roles
audit-action-settings-two_factor = update two-factor rule
audit-action-stock-adjust = adjust stock
audit-action-store-create = create store
audit-action-tag-apply = apply tag
audit-action-tag-create = create tag
audit-action-tag-delete = delete tag
audit-action-user-create = create user
audit-action-user-two_factor-reset = reset two-factor login
audit-action-user-update = update user
actor-buyer = buyer
actor-system = system
actor-sandbox = sandbox payment
actor-demo = demo data
actor-wechat = WeChat Pay
audit-field-admin_user = account
audit-field-all = all
audit-field-carrier = carrier
audit-field-code = code
audit-field-cost = shipping cost
audit-field-delta = change
audit-field-disabled = disabled
audit-field-ends_at = ends at
audit-field-ip = IP address
audit-field-items = items
audit-field-kind = kind
audit-field-lines = lines
audit-field-name = name
audit-field-on_shelf = on shelf
audit-field-parent_id = parent category
audit-field-points = points
audit-field-price = price
audit-field-reason = reason
audit-field-role = role
audit-field-sale_price = sale price
audit-field-sort = sort
audit-field-starts_at = starts at
audit-field-status = status
audit-field-stock = stock
audit-field-title = title
audit-field-slot = slot
audit-field-image = image
audit-field-href = link
audit-field-enabled = enabled
audit-field-position = position
audit-action-showcase-create = add showcase entry
audit-action-showcase-delete = delete showcase entry
audit-action-showcase-move = reorder showcase entry
audit-action-showcase-update = change showcase entry
showcase-slot-carousel = banner carousel
showcase-slot-icons = icon grid
showcase-link-none = no link
showcase-link-product = product
showcase-link-category = category
showcase-link-flash_sale = flash sale
showcase-link-coupons = coupon centre
showcase-link-page = storefront page
audit-field-total_quantity = total quantity
audit-field-tracking_no = tracking number
audit-field-username = username
thing-admin_user = staff account
thing-merchant = shop
audit-field-words = banned words
audit-field-children = subcategories
audit-field-depth = depth
audit-field-id = ID
audit-field-address_id = Address
audit-field-aftersale_id = After-sales case
audit-field-amount = Amount
audit-field-at = Time
audit-field-balance = Balance
audit-field-buyers = Buyers
audit-field-by = By
audit-field-by_filter = By filter
audit-field-changed = Changed
audit-field-city = City
audit-field-clerk = Clerk
audit-field-delivery = Delivery
audit-field-detail = Street address
audit-field-district = District
audit-field-encoding = Encoding
audit-field-fee = Fee
audit-field-freight_template_id = Freight template
audit-field-group_id = Group
audit-field-hidden = Hidden
audit-field-ids = IDs
audit-field-issued = Issued
audit-field-mock_fill = Mock fill
audit-field-mode = Mode
audit-field-note = Note
audit-field-on_sale = On sale
audit-field-order_id = Order
audit-field-order_no = Order no.
audit-field-out_refund_no = Refund no.
audit-field-out_trade_no = Payment no.
audit-field-payable = Payable
audit-field-payout = Payout
audit-field-per_buyer_limit = Per-buyer limit
audit-field-phone = Phone
audit-field-points_price = Points price
audit-field-provider = Provider
audit-field-province = Province
audit-field-quantity = Quantity
audit-field-reasons = Reasons
audit-field-refund = Refund
audit-field-rejected = Rejected
audit-field-reply = Reply
audit-field-rows = Rows
audit-field-shipment_id = Parcel
audit-field-skipped = Skipped
audit-field-sku_id = SKU
audit-field-steps = Steps
audit-field-stock_delta = Stock change
audit-field-store_id = Store
audit-field-tagged = Tagged
audit-field-text = Text
audit-field-transaction_id = Transaction no.
analytics-range_too_long = at most { $max_days } days
flash-unpaid_minutes = must be between { $min } and { $max } minutes

## Reading requests
http-body_unreadable = the request body could not be read
http-body_too_large = the request body is larger than { $max_bytes } bytes
http-query_too_long = the query string is longer than { $max_bytes } bytes
json-malformed = the JSON is malformed (line { $line }, column { $column })
input-unknown_field = is not a field of this request
input-missing_field = is required
input-duplicate_field = is given more than once
input-unknown_variant = must be one of { $allowed }
input-wrong_type = must be { $expected }
input-bad_length = has the wrong number of items
input-malformed = is not valid
path-not_whole = '{ $value }' is not a whole number (an id)
path-invalid = '{ $value }' is not valid here
path-not_utf8 = is not valid UTF-8
input-kind-whole_number = a whole number
input-kind-count = a whole number, 0 or more
input-kind-number = a number
input-kind-text = text
input-kind-yes_no = true or false
input-kind-list = a list
input-kind-object = an object
input-kind-value = a valid value
catalog-category_not_empty = category “{ $name }” is not empty ({ $children } subcategories, { $products } products)
orders-amount_mismatch = the notified amount { $notified_fen } does not match the payment's { $payment_fen }
orders-notification_refused = the payment notification was refused
orders-choose_track_kind = choose what happened
promotions-overlaps = overlaps activity #{ $id } “{ $name }” on { $skus } SKUs in the same window; allow overlap to run both
ops-not_ready = not ready: { $failing }
flash-redis_unavailable = the flash-sale gate is not answering; retry in { $retry_after_secs } s
commission-changed_meanwhile = the commission changed meanwhile; try again
permission-page_needs_members = this page needs the members permission
group_buy-not_started = the group buy has not started
group_buy-ended = the group buy is over
group_buy-sku_not_in_activity = this SKU is not in the group buy
group_buy-group_closed = this group is closed
group_buy-deadline_passed = this group's time ran out
group_buy-leader_unpaid = others may join once the leader has paid
group_buy-full = every seat of this group is taken
group_buy-already_member = you are already in this group
group_buy-limit_reached = you hold as many seats of this group buy as allowed
group_buy-group_price = the group price must be from ¥0.01 to the list price
group_buy-leader_discount = the leader must still pay at least ¥0.01 for every SKU
statement-row = row { $row }: { $reason }
statement-amount = { $column } “{ $value }” is not an amount in yuan
statement-too_many_rows = a statement has at most { $max } rows
statement-no_column = the header has no column { $column }
statement-few_cells = fewer cells than the header
event-kind_unknown = not an event kind
event-kind_server_only = recorded by the server only
event-field_not_allowed = not taken by this kind of event
event-text = must be { $min } to { $max } characters of { $chars }
event-in_future = more than { $max_secs } seconds ahead of the server's clock
event-too_old = older than { $max_days } days
event-chars-id = A-Z, a-z, 0-9, _ and -
event-chars-code = a-z, 0-9 and _
event-chars-printable = any but control characters
referral-disabled = this shop has no referral rewards
referral-unknown_code = no such invitation code
referral-self_invite = you cannot invite yourself
referral-repeated_invitee = you have accepted an invitation already
referral-existing_buyer = a buyer who has ordered before cannot be invited
referral-not_held = this reward is not held for review
referral-unknown_status = no such status
referral-no_reward = an enabled referral rule needs at least one reward
referral-unknown_coupon = no such coupon
thing-referral = invitation
referral-status-invited = invited
referral-status-rewarded = rewarded
referral-status-held = held for review
referral-status-rejected = rejected
referral-status-no_reward = no reward
referral-status-reversed = reversed
referral-reason-referral-self_invite = self-invite
referral-reason-referral-repeated_invitee = invited before
referral-reason-referral-existing_buyer = existing buyer
referral-reason-referral-not_first_order = not the first order
referral-reason-referral-not_completed = order not completed
referral-reason-referral-refunded = first order refunded
referral-reason-referral-below_minimum = first order below the minimum
referral-reason-risk-phone_shared_with_inviter = same phone as the inviter
referral-reason-risk-address_shared_with_inviter = same address as the inviter
referral-reason-risk-device_shared_with_inviter = same device as the inviter
referral-reason-risk-payment_account_shared_with_inviter = same payment account as the inviter
referral-reason-risk-phone_shared_by_many = phone shared by many invitees
referral-reason-risk-address_shared_by_many = address shared by many invitees
referral-reason-risk-device_shared_by_many = device shared by many invitees
referral-reason-risk-payment_account_shared_by_many = payment account shared by many invitees
referral-reason-risk-daily_limit = the inviter's daily limit reached
audit-action-referral-settings = change the referral rule
audit-action-referral-hold = hold a referral reward
audit-action-referral-release = release a referral reward
audit-action-referral-reject = reject a referral reward
audit-action-referral-reversed = reverse a referral reward on refund
audit-action-referral-no_reward = cancel a held referral reward on refund
activity-state-upcoming = Upcoming
activity-state-running = Running
activity-state-ended = Ended
flash-state-upcoming = Upcoming
flash-state-running = On now
flash-state-sold_out = Sold out
flash-state-ended = Ended
flash-state-stopped = Stopped
group-buy-state-upcoming = Upcoming
group-buy-state-running = Running
group-buy-state-ended = Ended
group-buy-state-stopped = Stopped

## Share links, QR codes and posters
share-unknown_channel = no such channel
share-campaign = a campaign is 1 to { $max } letters, digits, _ or -
share-promoter_code = a promoter code is { $min } to { $max } letters or digits
share-promoter_missing = a promoter's link needs the promoter's code
share-id_not_taken = invitation and promoter links take no id
share-not_your_code = you may only make links with your own promoter code
share-not_promoter = only an active promoter has a promoter link
analytics-experiment_not_draft = only a draft experiment can be started
analytics-experiment_not_running = only a running experiment can be stopped
analytics-placement_busy = another experiment is running on this placement: stop it first
thing-experiment = experiment
permission-page_needs_finance = this page needs the finance permission
stored_value-insufficient = the balance is not enough: { $needed_fen } needed, { $has_fen } available
stored_value-zero = the amount must not be zero
stored_value-too_large = one adjustment moves at most { $max_fen }
stored_value-unknown_kind = the kind is counter or goodwill
audit-action-stored_value-adjust = adjust stored value

# community groups
community-unknown_group = There is no such community group
community-closed = This community group is closed
community-already_member = You are already a member of this group
community-not_member = You are not a member of this group
community-members_only = This coupon is for a community group's members, claimed on the group's page
community-name_taken = A group with this name exists
community-owner_not_promoter = A group's owner is an approved promoter of the shop
community-unknown_coupon = There is no such coupon
community-coupon_not_linked = This coupon is not one of the group's
community-unknown_target = What you push does not exist or is over
community-unknown_status = There is no such status
community-status-active = active
community-status-closed = closed
community-push-coupon = coupon
community-push-flash_sale = flash sale
community-push-product = product
audit-action-community-create = add community group
audit-action-community-update = change community group
audit-action-community-coupon_link = make a coupon the group's
audit-action-community-coupon_unlink = release a group's coupon
audit-action-community-push = push to a community group
audit-field-owner = owner
audit-field-coupon = coupon
commission-not_held = this commission is not awaiting review
commission-not_under_review = this commission is not awaiting review
commission-held = this commission is held for review
commission-status-frozen = frozen
commission-status-held = under review
commission-status-settled = settled
commission-status-rejected = rejected
commission-hold-risk-phone_shared_with_promoter = same phone as the promoter
commission-hold-risk-address_shared_with_promoter = same address as the promoter
commission-hold-risk-device_shared_with_promoter = same device as the promoter
commission-hold-risk-payment_account_shared_with_promoter = same payment account as the promoter
commission-hold-risk-phone_shared_by_many = phone shared by many of the promoter's buyers
commission-hold-risk-address_shared_by_many = address shared by many of the promoter's buyers
commission-hold-risk-device_shared_by_many = device shared by many of the promoter's buyers
commission-hold-risk-payment_account_shared_by_many = payment account shared by many of the promoter's buyers
commission-hold-risk-daily_limit = the promoter's daily limit reached
audit-action-commission-hold = hold a commission for review
audit-action-commission-release = release a held commission
audit-action-commission-reject = reject a held commission
thing-commission = commission
## Social growth and analytics rules (core)
share-duplicate = given more than once
attribution-window_out_of_range = must be from { $min } to { $max } days
commission-out_of_range = must be from { $min } to { $max }
commission-too_many_overrides = at most { $max } product rates
commission-refund_not_increasing = the refunded total may only grow
commission-refund_above_paid = more than the line's paid amount
commission-already_settled = the commission is settled already
commission-withdrawal_not_pending = the withdrawal is not awaiting payment
promoter_debt-above_owed = more than the promoter owes
commission-not_positive = must be more than zero
commission-posting_refused = the commission's posting was refused: { $refusal }
withdrawal-rule_out_of_range = must be from 1 fen to the input limit
withdrawal-rule_inverted = below the minimum
presale-out_of_range = must be from { $min } to { $max }
presale-price_below_zero = the rebates would take the price below 1 fen
promoter-rule_out_of_range = must be from { $min } to { $max }
referral-rule_out_of_range = must be from { $min } to { $max }
referral-too_many_rewards = at most { $max } rewards
referral-rule_no_reward = a referral rule needs at least one reward
markdown-out_of_range = must be from { $min } to { $max }
bands-not_ascending = cut points must be ascending

## The journal's refusals of a posting (core)
posting-empty = a posting needs at least one entry with an amount
posting-mixed_units = entry { $index } on { $account } is in { $given }, but the account counts { $expected }
posting-unbalanced = the { $unit } entries sum to { $sum }, not zero
posting-entry_out_of_range = entry { $index }'s amount is beyond the limit
posting-invalid = { $field }: { $reason }
posting-length = must be { $min } to { $max } characters
posting-too_long = must be at most { $max } characters
posting-correction_by_reversal = a correction is made by reversing the original posting
posting-not_positive = must be above zero
posting-adjustment_range = must be non-zero and within the limit
posting-fee_rate = must be 0 to { $max } basis points
posting-negative = must not be negative
posting-negative_revenue = a line's revenue is negative or the total overflows
posting-overflow = the amounts overflow
posting-discounts_above_revenue = coupon and points must be 0 or more and at most the revenue
posting-fee_above_paid = must not exceed the amount paid
posting-paid_mismatch = must equal what the lines were paid plus shipping
posting-refund_mismatch = must equal the lines plus shipping
posting-fee_returned_above_refund = must not exceed the refund
posting-not_points_out = must be points expired or points reversed
posting-above_max = must be at most { $max }
