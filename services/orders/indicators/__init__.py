"""Case indicators (结案率, 按期结案率, 返工率, 准确派遣率, 响应率, 解决率, 满意率 ...) per grid, community, street,
department or class, and the monthly bulletin that ranks communities and departments (docs/DOMAIN.md
"Indicators and the monthly bulletin")."""
