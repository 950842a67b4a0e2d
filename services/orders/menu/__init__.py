"""The service menu (服务清单) of each community."""
