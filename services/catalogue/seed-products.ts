import type { CreateProductParams } from "../../contracts";

/** The catalogue a fresh shop starts with, so that browsing works before an admin adds anything. */
export const SEED_PRODUCTS: CreateProductParams[] = [
	{ sku: "BOOK-001", category: "books", name: "Designing Data-Intensive Applications", description: "Reliable, scalable and maintainable systems, from storage engines to stream processing.", priceCents: 4299, stock: 40 },
	{ sku: "BOOK-002", category: "books", name: "Release It!", description: "Stability patterns for production software: timeouts, circuit breakers and bulkheads.", priceCents: 3650, stock: 35 },
	{ sku: "BOOK-003", category: "books", name: "Building Microservices", description: "Modelling services around business domains, integration and deployment.", priceCents: 4499, stock: 25 },
	{ sku: "BOOK-004", category: "books", name: "The Pragmatic Programmer", description: "A classic guide to craftsmanship, pragmatism and continuous learning.", priceCents: 3999, stock: 50 },
	{ sku: "ELEC-001", category: "electronics", name: "Mechanical Keyboard", description: "Tenkeyless keyboard with hot-swappable brown switches and a detachable USB-C cable.", priceCents: 11900, stock: 15 },
	{ sku: "ELEC-002", category: "electronics", name: "Wireless Mouse", description: "Ergonomic wireless mouse with a silent click and a 70-day battery.", priceCents: 3990, stock: 60 },
	{ sku: "ELEC-003", category: "electronics", name: "USB-C Hub", description: "Seven ports: HDMI 4K, two USB-A, SD card reader and 100 W pass-through charging.", priceCents: 4950, stock: 30 },
	{ sku: "ELEC-004", category: "electronics", name: "Noise-Cancelling Headphones", description: "Over-ear wireless headphones with adaptive noise cancelling and 30 hours of playback.", priceCents: 24900, stock: 12 },
	{ sku: "ELEC-005", category: "electronics", name: "27-inch Monitor", description: "IPS panel, 2560x1440, USB-C with power delivery and a height-adjustable stand.", priceCents: 32900, stock: 8 },
	{ sku: "KITC-001", category: "kitchen", name: "Chef's Knife", description: "20 cm chef's knife forged from a single piece of stainless steel.", priceCents: 8900, stock: 20 },
	{ sku: "KITC-002", category: "kitchen", name: "Cast Iron Skillet", description: "Pre-seasoned 26 cm skillet for searing, baking and camp fires.", priceCents: 3490, stock: 25 },
	{ sku: "KITC-003", category: "kitchen", name: "Pour-Over Coffee Set", description: "Glass dripper, carafe and 100 paper filters for a clean, bright cup.", priceCents: 2990, stock: 40 },
	{ sku: "KITC-004", category: "kitchen", name: "Digital Kitchen Scale", description: "Weighs up to 5 kg in 1 g steps, with a tare button and a timer.", priceCents: 1999, stock: 45 },
	{ sku: "OUTD-001", category: "outdoors", name: "Trekking Backpack 40 L", description: "Lightweight backpack with a ventilated back panel and a rain cover.", priceCents: 12900, stock: 10 },
	{ sku: "OUTD-002", category: "outdoors", name: "Two-Person Tent", description: "Freestanding three-season tent that pitches in five minutes.", priceCents: 19900, stock: 6 },
	{ sku: "OUTD-003", category: "outdoors", name: "Insulated Water Bottle", description: "750 ml stainless steel bottle: cold for 24 hours, hot for 12.", priceCents: 2490, stock: 80 },
	{ sku: "OUTD-004", category: "outdoors", name: "Headlamp", description: "Rechargeable 400 lumen headlamp with a red light mode.", priceCents: 3290, stock: 35 },
	{ sku: "TOYS-001", category: "toys", name: "Wooden Building Blocks", description: "100 beech wood blocks in natural colours, for ages 2 and up.", priceCents: 3900, stock: 25 },
	{ sku: "TOYS-002", category: "toys", name: "Strategy Board Game", description: "Trade, build and settle: a board game for 3 to 4 players.", priceCents: 4290, stock: 18 },
	{ sku: "TOYS-003", category: "toys", name: "1000-Piece Puzzle", description: "A map of the world's railways as a 1000-piece jigsaw puzzle.", priceCents: 1890, stock: 30 },
	{ sku: "CLTH-001", category: "clothing", name: "Merino T-Shirt", description: "Soft merino wool t-shirt that stays fresh on long trips.", priceCents: 5900, stock: 40 },
	{ sku: "CLTH-002", category: "clothing", name: "Rain Jacket", description: "Waterproof, breathable shell jacket with taped seams and a packable hood.", priceCents: 14900, stock: 14 },
	{ sku: "CLTH-003", category: "clothing", name: "Wool Socks (3 pairs)", description: "Cushioned hiking socks in a merino blend.", priceCents: 2400, stock: 70 },
	{ sku: "CLTH-004", category: "clothing", name: "Canvas Sneakers", description: "Classic low-top sneakers with a vulcanised rubber sole.", priceCents: 6500, stock: 22 },
];
