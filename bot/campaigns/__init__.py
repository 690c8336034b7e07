"""Incentive campaigns: schema, rewards, voucher codes and pools, compensation, draws, reports."""
