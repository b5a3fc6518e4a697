"""Running the server as several processes behind nginx: nginx.conf, and cluster.py to start it all."""
