"""Open311 GeoReport v2 for civic-tech clients: a street's services, and requests that become orders."""
