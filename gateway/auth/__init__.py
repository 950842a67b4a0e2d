"""Who the caller is: sign-in (password, SMS, WeChat), tokens and their keys, revocation, the claims a
token carries, and the accounts staff manage."""
