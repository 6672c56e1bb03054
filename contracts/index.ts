export * from "./common";
export * from "./catalogue";
export * from "./customers";
export * from "./events";
export * from "./orders";
export * from "./carts";
export * from "./timeline";
export * from "./shipping";
