// mongo-java-server on its H2 backend, for `npm run infra:up` on machines without MongoDB.
// Usage: java -cp "<jars>/*" MongoServer.java <port> <h2 file> [bind address]
// Run as a single-file program (no build step); up.sh fetches the jars with Maven (pom.xml here).
// The compose stand-in for mongo:7 (scripts/docker/images/mongo) runs the same launcher compiled.
//
// Binds 127.0.0.1 unless told otherwise: a test server without authentication must not be
// reachable from outside. In a container it binds 0.0.0.0, reachable on the compose network only.
// The data lives in one H2 MVStore file, so it survives a restart. H2 commits in the background
// about once a second, so a SIGKILL can lose up to that much; SIGTERM (what infra:down sends)
// runs the shutdown hook, which closes the server and with it the store, writing everything.

public class MongoServer {
	public static void main(String[] args) {
		if (args.length < 2 || args.length > 3) {
			System.err.println("usage: java -cp '<jars>/*' MongoServer.java <port> <h2 file> [bind address]");
			System.exit(2);
		}
		int port = Integer.parseInt(args[0]);
		String file = args[1];
		String host = args.length == 3 ? args[2] : "127.0.0.1";
		// slf4j-simple reads these when the first logger is made: times on every line, and no line
		// per client connection (the shop's pools open and close them all the time).
		System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
		System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSX");
		System.setProperty("org.slf4j.simpleLogger.log.de.bwaldvogel.mongo.wire.MongoWireProtocolHandler", "warn");
		// Fully qualified: this launcher's own class is called MongoServer as well.
		de.bwaldvogel.mongo.MongoServer server =
			new de.bwaldvogel.mongo.MongoServer(new de.bwaldvogel.mongo.backend.h2.H2Backend(file));
		Runtime.getRuntime().addShutdownHook(new Thread(() -> {
			System.err.println("mongo: shutting down, closing " + file);
			server.shutdown();
		}, "shutdown"));
		server.bind(host, port);
		System.err.println("mongo: mongo-java-server (H2 backend, " + file + ") listening on " + host + ":" + port);
	}
}
