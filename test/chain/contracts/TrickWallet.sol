// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title TrickWallet
/// @notice TEST ONLY. An ERC-1271 wallet that answers `isValidSignature` one way under `eth_call` and another when
/// mined, to test the facilitator's abuse limits. Like SmartWallet, a signature is valid when the owner signed the
/// raw digest (65 bytes, low-s). Two tricks, each burning (almost) all the gas it is given before refusing:
/// - `minGas`: refuse when called with less gas left than this (a plain `eth_call` gets the block's gas limit, a
///   mined settlement only its own gas limit);
/// - `armed`: refuse when set; a test flips this slot with `anvil_setStorageAt` between the facilitator's
///   simulation and the mining of its transaction (an attacker's state flip that no simulation can foresee).
/// Storage: slot 0 `owner`, slot 1 `armed` (0 or 1), slot 2 `minGas`.
contract TrickWallet {
    bytes4 private constant MAGIC_VALUE = 0x1626ba7e;
    bytes4 private constant INVALID_VALUE = 0xffffffff;
    uint256 private constant HALF_CURVE_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    address public owner;
    uint256 public armed;
    uint256 public minGas;

    constructor(address owner_, uint256 minGas_) {
        owner = owner_;
        minGas = minGas_;
    }

    /// @notice ERC-1271: `0x1626ba7e` if the owner signed `hash` and no trick is on; else burns gas and refuses.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (armed != 0 || gasleft() < minGas) {
            while (gasleft() > 5_000) {}
            return INVALID_VALUE;
        }
        if (signature.length != 65) return INVALID_VALUE;
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (uint256(s) > HALF_CURVE_ORDER) return INVALID_VALUE;
        address signer = ecrecover(hash, v, r, s);
        return signer != address(0) && signer == owner ? MAGIC_VALUE : INVALID_VALUE;
    }
}
