"""vAIst lab behind JupyterHub: the `vaist` hub service (`service`: the use cases as a JSON API, the caller
always the hub token's user; it alone holds the database, the secret and the storage) and `HubLab` (`client`:
the workbench's LabApi over HTTP, for the single-user servers' kernels). `wire` is their shared format.

Nothing is imported here: the client must load without the service's database library."""
