select customer_id, name, country, signup_day
from {{ source('shop', 'customers') }}
