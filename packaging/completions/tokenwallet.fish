# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_tokenwallet_global_optspecs
    string join \n home= h/help V/version
end

function __fish_tokenwallet_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_tokenwallet_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_tokenwallet_using_subcommand
    set -l cmd (__fish_tokenwallet_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c tokenwallet -n "__fish_tokenwallet_needs_command" -l home -d 'Data directory (default: the platform\'s data dir; env `TOKENWALLET_HOME`)' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_needs_command" -s h -l help -d 'Print help'
complete -c tokenwallet -n "__fish_tokenwallet_needs_command" -s V -l version -d 'Print version'
complete -c tokenwallet -n "__fish_tokenwallet_needs_command" -f -a "add" -d 'Add an account (secrets from `TOKENWALLET_CLIENT_SECRET`, `_PASSWORD`, `_REFRESH_TOKEN` or a prompt)'
complete -c tokenwallet -n "__fish_tokenwallet_needs_command" -f -a "import" -d 'Import a token file downloaded from a portal (`-` reads stdin)'
complete -c tokenwallet -n "__fish_tokenwallet_needs_command" -f -a "generate" -d 'Obtain a brand new token set'
complete -c tokenwallet -n "__fish_tokenwallet_needs_command" -f -a "refresh" -d 'Renew the access token (one account, or --all)'
complete -c tokenwallet -n "__fish_tokenwallet_needs_command" -f -a "revoke" -d 'Revoke the tokens at the provider (where it has an API) and forget them'
complete -c tokenwallet -n "__fish_tokenwallet_needs_command" -f -a "remove" -d 'Delete the account and its secrets'
complete -c tokenwallet -n "__fish_tokenwallet_needs_command" -f -a "token" -d 'Print a valid access token (refreshed first when needed) and nothing else'
complete -c tokenwallet -n "__fish_tokenwallet_needs_command" -f -a "list" -d 'List the accounts'
complete -c tokenwallet -n "__fish_tokenwallet_needs_command" -f -a "show" -d 'Show one account (never a secret)'
complete -c tokenwallet -n "__fish_tokenwallet_needs_command" -f -a "export" -d 'Write the access token, the refresh token or both out as text, JSON, .env, a header line or a curl command'
complete -c tokenwallet -n "__fish_tokenwallet_needs_command" -f -a "exec" -d 'Run a command with fresh tokens in its environment: `NAME_ACCESS_TOKEN`, `NAME_AUTH_HEADER` and `NAME_EXPIRES_AT` for each account (as `export --format env` names them), and each `--var`. Its exit code is the command\'s'
complete -c tokenwallet -n "__fish_tokenwallet_needs_command" -f -a "agent" -d 'Serve the wallet to this user\'s other tokenwallet commands until stopped (Ctrl-C): `token` answers in milliseconds, and one process refreshes'
complete -c tokenwallet -n "__fish_tokenwallet_needs_command" -f -a "unlock" -d 'Give the vault passphrase to the running agent, which keeps the key in memory for the time given (`TOKENWALLET_PASSPHRASE` or a prompt)'
complete -c tokenwallet -n "__fish_tokenwallet_needs_command" -f -a "lock" -d 'Make the running agent forget the vault key'
complete -c tokenwallet -n "__fish_tokenwallet_needs_command" -f -a "team" -d 'The team store (OpenBao / HashiCorp Vault) where a team shares refresh-token chains'
complete -c tokenwallet -n "__fish_tokenwallet_needs_command" -f -a "api" -d 'The API behind an account, from its OpenAPI or Swagger spec, called with the account\'s token (refreshed first when due)'
complete -c tokenwallet -n "__fish_tokenwallet_needs_command" -f -a "move" -d 'Move an account into the team store, or out of it into this wallet alone; its refresh token comes along (none is spent)'
complete -c tokenwallet -n "__fish_tokenwallet_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand add" -l provider -d 'The provider the account talks to' -r -f -a "active-iq\t''
bluexp\t''
apinizer\t''
aruba-central\t''
oauth2\t''"
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand add" -l grant -d 'Grant: `refresh_token`, `password`, `client_credentials`, `authorization_code`' -r -f -a "refresh_token\t''
password\t''
client_credentials\t''
authorization_code\t''
device_code\t''"
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand add" -l url -d 'Base URL (oauth2: the token endpoint)' -r -f
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand add" -l client-id -d 'OAuth client id' -r
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand add" -l username -d 'Username' -r
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand add" -l customer-id -d 'Aruba Central customer id' -r
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand add" -l scope -d 'Scope to request' -r
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand add" -l audience -d 'Audience to request' -r
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand add" -l issuer -d 'Issuer to discover the endpoints from (oauth2)' -r -f
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand add" -l revoke-url -d 'RFC 7009 revocation endpoint (oauth2)' -r -f
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand add" -l client-auth -d 'Client authentication: basic or post' -r -f -a "basic\t''
post\t''"
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand add" -l auth-url -d 'Authorization endpoint for `--grant authorization_code` (oauth2; else discovered)' -r -f
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand add" -l device-url -d 'Device authorization endpoint for `--grant device_code` (oauth2; else discovered)' -r -f
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand add" -l redirect-uri -d 'An exact redirect URI `http://127.0.0.1:PORT/path`, for servers that need a registered one (default: a random port and `/callback`)' -r -f
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand add" -l ca-file -d 'A PEM file of extra CA certificates to trust for this account (behind TLS inspection), beside the system\'s store' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand add" -l catalog-url -d 'The API catalog\'s address, where it is not the provider\'s usual one' -r -f
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand add" -l home -d 'Data directory (default: the platform\'s data dir; env `TOKENWALLET_HOME`)' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand add" -l team -d 'Create it in the team store, shared with the team (see `team connect`)'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand add" -s h -l help -d 'Print help'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand import" -l file -d 'The downloaded file, or `-` for stdin' -r
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand import" -l expires-at -d 'Expiry of a token whose file does not say (YYYY-MM-DD or RFC 3339)' -r
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand import" -l provider -d 'The provider the account talks to' -r -f -a "active-iq\t''
bluexp\t''
apinizer\t''
aruba-central\t''
oauth2\t''"
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand import" -l grant -d 'Grant: `refresh_token`, `password`, `client_credentials`, `authorization_code`' -r -f -a "refresh_token\t''
password\t''
client_credentials\t''
authorization_code\t''
device_code\t''"
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand import" -l url -d 'Base URL (oauth2: the token endpoint)' -r -f
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand import" -l client-id -d 'OAuth client id' -r
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand import" -l username -d 'Username' -r
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand import" -l customer-id -d 'Aruba Central customer id' -r
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand import" -l scope -d 'Scope to request' -r
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand import" -l audience -d 'Audience to request' -r
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand import" -l issuer -d 'Issuer to discover the endpoints from (oauth2)' -r -f
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand import" -l revoke-url -d 'RFC 7009 revocation endpoint (oauth2)' -r -f
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand import" -l client-auth -d 'Client authentication: basic or post' -r -f -a "basic\t''
post\t''"
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand import" -l auth-url -d 'Authorization endpoint for `--grant authorization_code` (oauth2; else discovered)' -r -f
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand import" -l device-url -d 'Device authorization endpoint for `--grant device_code` (oauth2; else discovered)' -r -f
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand import" -l redirect-uri -d 'An exact redirect URI `http://127.0.0.1:PORT/path`, for servers that need a registered one (default: a random port and `/callback`)' -r -f
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand import" -l ca-file -d 'A PEM file of extra CA certificates to trust for this account (behind TLS inspection), beside the system\'s store' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand import" -l catalog-url -d 'The API catalog\'s address, where it is not the provider\'s usual one' -r -f
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand import" -l home -d 'Data directory (default: the platform\'s data dir; env `TOKENWALLET_HOME`)' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand import" -l team -d 'Put the account in the team store, shared with the team (see `team connect`)'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand import" -s h -l help -d 'Print help'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand generate" -l home -d 'Data directory (default: the platform\'s data dir; env `TOKENWALLET_HOME`)' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand generate" -s h -l help -d 'Print help'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand refresh" -l jobs -d 'With --all: how many refreshes run at once (at most 4 against one provider host)' -r
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand refresh" -l home -d 'Data directory (default: the platform\'s data dir; env `TOKENWALLET_HOME`)' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand refresh" -l all -d 'Refresh every account that can be renewed without you'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand refresh" -s h -l help -d 'Print help'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand revoke" -l home -d 'Data directory (default: the platform\'s data dir; env `TOKENWALLET_HOME`)' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand revoke" -s h -l help -d 'Print help'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand remove" -l home -d 'Data directory (default: the platform\'s data dir; env `TOKENWALLET_HOME`)' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand remove" -s h -l help -d 'Print help'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand token" -l home -d 'Data directory (default: the platform\'s data dir; env `TOKENWALLET_HOME`)' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand token" -s h -l help -d 'Print help'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand list" -l home -d 'Data directory (default: the platform\'s data dir; env `TOKENWALLET_HOME`)' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand list" -l json -d 'Machine-readable output'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand list" -s h -l help -d 'Print help'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand show" -l home -d 'Data directory (default: the platform\'s data dir; env `TOKENWALLET_HOME`)' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand show" -l json -d 'Machine-readable output'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand show" -s h -l help -d 'Print help'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand export" -l token -d 'Which token: access, refresh or both (header and curl carry only the access token)' -r -f -a "access\t''
refresh\t''
both\t''"
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand export" -l format -d 'Output format' -r -f -a "text\t''
json\t''
env\t''
header\t''
curl\t''
postman\t''"
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand export" -l out -d 'Write to this file (created 0600) instead of stdout' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand export" -l home -d 'Data directory (default: the platform\'s data dir; env `TOKENWALLET_HOME`)' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand export" -l force -d 'Replace what is at --out (atomically; a symlink is replaced, never followed)'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand export" -l keep-fresh -d 'Keep --out fresh: rewritten after every refresh of the account, which the agent renews before the token gets short'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand export" -l stop -d 'Stop keeping --out fresh (the file stays as it is)'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand export" -l list -d 'List the files kept fresh, with their last write and any error'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand export" -s h -l help -d 'Print help'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand exec" -l var -d 'One more variable: `VAR=NAME` (the access token), `VAR=NAME:header` (the header line) or `VAR=NAME:refresh` (the refresh token, only when asked so)' -r
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand exec" -l home -d 'Data directory (default: the platform\'s data dir; env `TOKENWALLET_HOME`)' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand exec" -s h -l help -d 'Print help'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand agent" -l home -d 'Data directory (default: the platform\'s data dir; env `TOKENWALLET_HOME`)' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand agent" -s h -l help -d 'Print help'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand unlock" -l for -d 'How long: 90s, 30m, 8h, 2d' -r
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand unlock" -l home -d 'Data directory (default: the platform\'s data dir; env `TOKENWALLET_HOME`)' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand unlock" -s h -l help -d 'Print help'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand lock" -l home -d 'Data directory (default: the platform\'s data dir; env `TOKENWALLET_HOME`)' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand lock" -s h -l help -d 'Print help'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand team; and not __fish_seen_subcommand_from connect status sync help" -l home -d 'Data directory (default: the platform\'s data dir; env `TOKENWALLET_HOME`)' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand team; and not __fish_seen_subcommand_from connect status sync help" -s h -l help -d 'Print help'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand team; and not __fish_seen_subcommand_from connect status sync help" -f -a "connect" -d 'Connect this wallet to a team store (its address, mount and folder are saved; the token is not)'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand team; and not __fish_seen_subcommand_from connect status sync help" -f -a "status" -d 'Who this wallet is to the team store, and what it may do there'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand team; and not __fish_seen_subcommand_from connect status sync help" -f -a "sync" -d 'Take every team account this wallet does not have yet (with the refresh token where this machine\'s policy may read it)'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand team; and not __fish_seen_subcommand_from connect status sync help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand team; and __fish_seen_subcommand_from connect" -l mount -d 'The KV version 2 engine\'s mount' -r
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand team; and __fish_seen_subcommand_from connect" -l path -d 'The wallet\'s folder in it' -r
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand team; and __fish_seen_subcommand_from connect" -l home -d 'Data directory (default: the platform\'s data dir; env `TOKENWALLET_HOME`)' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand team; and __fish_seen_subcommand_from connect" -s h -l help -d 'Print help'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand team; and __fish_seen_subcommand_from status" -l home -d 'Data directory (default: the platform\'s data dir; env `TOKENWALLET_HOME`)' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand team; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand team; and __fish_seen_subcommand_from sync" -l home -d 'Data directory (default: the platform\'s data dir; env `TOKENWALLET_HOME`)' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand team; and __fish_seen_subcommand_from sync" -s h -l help -d 'Print help'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand team; and __fish_seen_subcommand_from help" -f -a "connect" -d 'Connect this wallet to a team store (its address, mount and folder are saved; the token is not)'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand team; and __fish_seen_subcommand_from help" -f -a "status" -d 'Who this wallet is to the team store, and what it may do there'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand team; and __fish_seen_subcommand_from help" -f -a "sync" -d 'Take every team account this wallet does not have yet (with the refresh token where this machine\'s policy may read it)'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand team; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand api; and not __fish_seen_subcommand_from spec ops call help" -l home -d 'Data directory (default: the platform\'s data dir; env `TOKENWALLET_HOME`)' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand api; and not __fish_seen_subcommand_from spec ops call help" -s h -l help -d 'Print help'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand api; and not __fish_seen_subcommand_from spec ops call help" -f -a "spec" -d 'Read an OpenAPI (3.0, 3.1) or Swagger (2.0) spec, JSON or YAML, from a file or an https:// URL, and keep it as the account\'s'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand api; and not __fish_seen_subcommand_from spec ops call help" -f -a "ops" -d 'List the operations of the account\'s spec, by tag'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand api; and not __fish_seen_subcommand_from spec ops call help" -f -a "call" -d 'Call an operation: the response body on stdout, the status line on stderr. Exit 0 for a 2xx status, 1 for another, 4 when the server cannot be reached, 2 for a bad operation or parameter'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand api; and not __fish_seen_subcommand_from spec ops call help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand api; and __fish_seen_subcommand_from spec" -l home -d 'Data directory (default: the platform\'s data dir; env `TOKENWALLET_HOME`)' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand api; and __fish_seen_subcommand_from spec" -s h -l help -d 'Print help'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand api; and __fish_seen_subcommand_from ops" -l home -d 'Data directory (default: the platform\'s data dir; env `TOKENWALLET_HOME`)' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand api; and __fish_seen_subcommand_from ops" -s h -l help -d 'Print help'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand api; and __fish_seen_subcommand_from call" -s p -l param -d 'A parameter (path, query, header, cookie or form); give a name twice for a list' -r
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand api; and __fish_seen_subcommand_from call" -l data -d 'The request body: JSON text, or @FILE (@- reads stdin)' -r
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand api; and __fish_seen_subcommand_from call" -l server -d 'The API\'s base address, instead of the spec\'s server or the account\'s' -r
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand api; and __fish_seen_subcommand_from call" -l home -d 'Data directory (default: the platform\'s data dir; env `TOKENWALLET_HOME`)' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand api; and __fish_seen_subcommand_from call" -l confirm-host -d 'Send the token to a host that is not the provider\'s, and remember it'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand api; and __fish_seen_subcommand_from call" -s h -l help -d 'Print help'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand api; and __fish_seen_subcommand_from help" -f -a "spec" -d 'Read an OpenAPI (3.0, 3.1) or Swagger (2.0) spec, JSON or YAML, from a file or an https:// URL, and keep it as the account\'s'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand api; and __fish_seen_subcommand_from help" -f -a "ops" -d 'List the operations of the account\'s spec, by tag'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand api; and __fish_seen_subcommand_from help" -f -a "call" -d 'Call an operation: the response body on stdout, the status line on stderr. Exit 0 for a 2xx status, 1 for another, 4 when the server cannot be reached, 2 for a bad operation or parameter'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand api; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand move" -l to -d 'Where to' -r -f -a "team\t'The team store, shared with the team\'s other machines'
local\t'This wallet alone'"
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand move" -l home -d 'Data directory (default: the platform\'s data dir; env `TOKENWALLET_HOME`)' -r -F
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand move" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand help; and not __fish_seen_subcommand_from add import generate refresh revoke remove token list show export exec agent unlock lock team api move help" -f -a "add" -d 'Add an account (secrets from `TOKENWALLET_CLIENT_SECRET`, `_PASSWORD`, `_REFRESH_TOKEN` or a prompt)'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand help; and not __fish_seen_subcommand_from add import generate refresh revoke remove token list show export exec agent unlock lock team api move help" -f -a "import" -d 'Import a token file downloaded from a portal (`-` reads stdin)'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand help; and not __fish_seen_subcommand_from add import generate refresh revoke remove token list show export exec agent unlock lock team api move help" -f -a "generate" -d 'Obtain a brand new token set'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand help; and not __fish_seen_subcommand_from add import generate refresh revoke remove token list show export exec agent unlock lock team api move help" -f -a "refresh" -d 'Renew the access token (one account, or --all)'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand help; and not __fish_seen_subcommand_from add import generate refresh revoke remove token list show export exec agent unlock lock team api move help" -f -a "revoke" -d 'Revoke the tokens at the provider (where it has an API) and forget them'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand help; and not __fish_seen_subcommand_from add import generate refresh revoke remove token list show export exec agent unlock lock team api move help" -f -a "remove" -d 'Delete the account and its secrets'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand help; and not __fish_seen_subcommand_from add import generate refresh revoke remove token list show export exec agent unlock lock team api move help" -f -a "token" -d 'Print a valid access token (refreshed first when needed) and nothing else'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand help; and not __fish_seen_subcommand_from add import generate refresh revoke remove token list show export exec agent unlock lock team api move help" -f -a "list" -d 'List the accounts'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand help; and not __fish_seen_subcommand_from add import generate refresh revoke remove token list show export exec agent unlock lock team api move help" -f -a "show" -d 'Show one account (never a secret)'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand help; and not __fish_seen_subcommand_from add import generate refresh revoke remove token list show export exec agent unlock lock team api move help" -f -a "export" -d 'Write the access token, the refresh token or both out as text, JSON, .env, a header line or a curl command'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand help; and not __fish_seen_subcommand_from add import generate refresh revoke remove token list show export exec agent unlock lock team api move help" -f -a "exec" -d 'Run a command with fresh tokens in its environment: `NAME_ACCESS_TOKEN`, `NAME_AUTH_HEADER` and `NAME_EXPIRES_AT` for each account (as `export --format env` names them), and each `--var`. Its exit code is the command\'s'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand help; and not __fish_seen_subcommand_from add import generate refresh revoke remove token list show export exec agent unlock lock team api move help" -f -a "agent" -d 'Serve the wallet to this user\'s other tokenwallet commands until stopped (Ctrl-C): `token` answers in milliseconds, and one process refreshes'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand help; and not __fish_seen_subcommand_from add import generate refresh revoke remove token list show export exec agent unlock lock team api move help" -f -a "unlock" -d 'Give the vault passphrase to the running agent, which keeps the key in memory for the time given (`TOKENWALLET_PASSPHRASE` or a prompt)'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand help; and not __fish_seen_subcommand_from add import generate refresh revoke remove token list show export exec agent unlock lock team api move help" -f -a "lock" -d 'Make the running agent forget the vault key'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand help; and not __fish_seen_subcommand_from add import generate refresh revoke remove token list show export exec agent unlock lock team api move help" -f -a "team" -d 'The team store (OpenBao / HashiCorp Vault) where a team shares refresh-token chains'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand help; and not __fish_seen_subcommand_from add import generate refresh revoke remove token list show export exec agent unlock lock team api move help" -f -a "api" -d 'The API behind an account, from its OpenAPI or Swagger spec, called with the account\'s token (refreshed first when due)'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand help; and not __fish_seen_subcommand_from add import generate refresh revoke remove token list show export exec agent unlock lock team api move help" -f -a "move" -d 'Move an account into the team store, or out of it into this wallet alone; its refresh token comes along (none is spent)'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand help; and not __fish_seen_subcommand_from add import generate refresh revoke remove token list show export exec agent unlock lock team api move help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand help; and __fish_seen_subcommand_from team" -f -a "connect" -d 'Connect this wallet to a team store (its address, mount and folder are saved; the token is not)'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand help; and __fish_seen_subcommand_from team" -f -a "status" -d 'Who this wallet is to the team store, and what it may do there'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand help; and __fish_seen_subcommand_from team" -f -a "sync" -d 'Take every team account this wallet does not have yet (with the refresh token where this machine\'s policy may read it)'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand help; and __fish_seen_subcommand_from api" -f -a "spec" -d 'Read an OpenAPI (3.0, 3.1) or Swagger (2.0) spec, JSON or YAML, from a file or an https:// URL, and keep it as the account\'s'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand help; and __fish_seen_subcommand_from api" -f -a "ops" -d 'List the operations of the account\'s spec, by tag'
complete -c tokenwallet -n "__fish_tokenwallet_using_subcommand help; and __fish_seen_subcommand_from api" -f -a "call" -d 'Call an operation: the response body on stdout, the status line on stderr. Exit 0 for a 2xx status, 1 for another, 4 when the server cannot be reached, 2 for a bad operation or parameter'
