/** Public API of alchemy-iot-jobs. */
export {};
