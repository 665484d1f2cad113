# AdamW with linear warm-up and cosine decay over 1,500 iterations (100 of
# warm-up), lr 5e-4, validation every 500: adamw_cosine.py as it stands.
_base_ = ['./adamw_cosine.py']
