"""`recode preflight`: check a training / synthesis / evaluation config on CPU before it costs a GPU-day."""
