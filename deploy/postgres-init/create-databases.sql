-- Run once by the postgres image on an empty data directory (mounted into /docker-entrypoint-initdb.d).
-- One database per process; they are owned by POSTGRES_USER, the role the init scripts run as.
CREATE DATABASE gateway;
CREATE DATABASE residents;
CREATE DATABASE grids;
CREATE DATABASE orders;
CREATE DATABASE jobs;
