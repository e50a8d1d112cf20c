// Subscribe with graphql-ws (npm), the client Apollo Client uses, and print each event as one JSON line.
//   node subscribe.mjs <ws-url> <token> <count> <query> [variables-json]
// Prints {"ready": true} once the server acknowledged the connection, then {"next": <result>} per event;
// exits 0 after <count> events, 1 (with {"error": ...}) when the client reports an error or closes early.
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, token, count, query, variables] = process.argv.slice(2);
const wanted = Number(count);
const print = (value) => process.stdout.write(JSON.stringify(value) + "\n");
const describe = (error) =>
  error instanceof Error ? error.message : error && error.code ? `closed ${error.code} ${error.reason}` : String(error);
const fail = (error) => {
  print({ error: describe(error) });
  process.exit(1);
};

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  retryAttempts: 0,
  on: { connected: () => print({ ready: true }), error: fail },
});

let seen = 0;
client.subscribe(
  { query, variables: variables ? JSON.parse(variables) : {} },
  {
    next: (result) => {
      print({ next: result });
      seen += 1;
      if (seen >= wanted) {
        client.dispose();
        process.exit(0);
      }
    },
    error: fail,
    complete: () => fail(new Error(`completed after ${seen} of ${wanted} events`)),
  },
);
setTimeout(() => fail(new Error(`timed out after ${seen} of ${wanted} events`)), 30000);
