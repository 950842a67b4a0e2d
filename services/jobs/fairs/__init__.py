"""Job fairs (招聘会): the employers taking part and the residents signed up."""
